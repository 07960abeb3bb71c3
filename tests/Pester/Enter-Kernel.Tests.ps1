# Pester tests of Enter-Kernel, the interactive session in a kernel. The session is driven in a real terminal: a tmux
# session running pwsh with the module (Start-TestTerminal), typed into with send-keys and read with capture-pane,
# against a real ipykernel and a kernel of a real jupyter-server. What cannot be typed is checked in this process.
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Enter-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment

    # The index of the terminal's line being typed on (the prompt line).
    function Get-Mark($Terminal) { (Get-TestTerminalText $Terminal).Count - 1 }

    # Waits for an empty prompt '[label] In [n]:' below line -After.
    function Wait-Prompt($Terminal, [string] $Label, [string] $Number, [int] $After, [int] $Seconds = 60) {
        Wait-TestTerminalText $Terminal -Pattern ('^' + [regex]::Escape("[$Label] In [") + $Number + '\]:$') -After $After -Timeout ([timespan]::FromSeconds($Seconds))
    }

    # Types a cell and Enter at the prompt, waits for the prompt numbered -Next: the lines from the cell's prompt line on.
    function Invoke-TerminalCell($Terminal, [string] $Code, [string] $Label, [int] $Next) {
        $mark = Get-Mark $Terminal
        Send-TestTerminalKeys $Terminal -Text $Code -Key Enter
        $lines = Wait-Prompt $Terminal $Label $Next -After ($mark + 1)
        @($lines | Select-Object -Skip $mark)
    }
}

AfterAll { Clear-TestEnvironment }

Describe 'Enter-Kernel in a terminal, on a local ipykernel' {
    BeforeAll {
        $script:kernel = Start-Kernel -Name python3
        $script:terminal = Start-TestTerminal -Width 100
        Send-TestTerminalKeys $script:terminal -Text "Enter-Kernel -Id $($script:kernel.Id)" -Key Enter
        $null = Wait-Prompt $script:terminal python3 1 -After 0
    }
    AfterAll {
        if ($script:terminal) { Stop-TestTerminal $script:terminal }
    }

    It 'shows a prompt naming the kernel and the count, and renders a result and printed text as Invoke-KernelCode does' {
        $lines = Invoke-TerminalCell $script:terminal 'print("hello"); 6*7' python3 2
        $lines[0] | Should -Be '[python3] In [1]: print("hello"); 6*7'
        $lines[1..2] | Should -Be @('hello', '42')
        # The same objects through the same views in this process (this cell is the kernel's execution 2).
        $script:kernel | Invoke-KernelCode 'print("hello"); 6*7' | Get-RenderedText | Should -Be @('hello', '42')
    }

    It 'completes with Tab through the kernel: several matches are listed, a common prefix is inserted' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'import o' -Key Tab
        $null = Wait-TestTerminalText $script:terminal -Pattern '\bossaudiodev\b' -After $mark
        $lines = Invoke-TerminalCell $script:terminal 's' python3 4
        $lines | Should -Contain '[python3] In [2]: import os'
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'os.getcw' -Key Tab
        $null = Wait-TestTerminalText $script:terminal -Pattern '^\[python3\] In \[4\]: os\.getcwd$' -After $mark
        $lines = Invoke-TerminalCell $script:terminal '() == os.getcwd()' python3 5
        $lines[0] | Should -Be '[python3] In [4]: os.getcwd() == os.getcwd()'
        $lines | Should -Contain 'True'
    }

    It 'continues a cell the kernel calls incomplete on the next line, with the kernel''s indent' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'for i in range(2):' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern '^ +\.\.\.:$' -After $mark
        Send-TestTerminalKeys $script:terminal -Text 'print("row", i)' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern '^ +\.\.\.:$' -After ($mark + 2)
        $null = Invoke-TerminalCell $script:terminal '' python3 6
        $lines = @(Get-TestTerminalText $script:terminal | Select-Object -Skip $mark)
        $lines[0..1] | Should -Be @('[python3] In [5]: for i in range(2):', '             ...:     print("row", i)')
        $lines | Should -Contain 'row 0'
        $lines | Should -Contain 'row 1'
    }

    It 'asks for input() at the console and sends the answer' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'name = input("Your name? ")' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern '^Your name\?$' -After $mark
        $lines = Invoke-TerminalCell $script:terminal 'Ada' python3 7
        $lines | Should -Contain 'Your name? Ada'
        Invoke-TerminalCell $script:terminal 'name.upper()' python3 8 | Should -Contain "'ADA'"
    }

    It 'shows a kernel error''s traceback and its error record, and goes on' {
        $lines = Invoke-TerminalCell $script:terminal '1/0' python3 9
        $lines | Should -Contain 'ZeroDivisionError: division by zero'
        $lines | Should -Contain 'Enter-Kernel: ZeroDivisionError: division by zero'
    }

    It 'interrupts the running cell on Ctrl+C and returns to the prompt; the session and the kernel go on' {
        $mark = Get-Mark $script:terminal
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Send-TestTerminalKeys $script:terminal -Text 'import time; time.sleep(120); print("never")' -Key Enter
        Start-Sleep -Seconds 2
        Send-TestTerminalKeys $script:terminal -Key C-c
        # The interrupted cell counted (9): the prompt asks the kernel and shows 10.
        $lines = Wait-Prompt $script:terminal python3 10 -After ($mark + 1)
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 90
        ($lines | Select-Object -Skip $mark) -join "`n" | Should -Match 'cancelled; the kernel was interrupted'
        $lines = Invoke-TerminalCell $script:terminal 'name' python3 11
        $lines | Should -Contain "'Ada'"
        $lines | Should -Not -Contain 'never'
    }

    It 'discards the line being typed on Ctrl+C at the prompt, without running it' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'print("discarded")'
        $null = Wait-TestTerminalText $script:terminal -Pattern 'discarded' -After $mark
        Send-TestTerminalKeys $script:terminal -Key C-c
        $lines = Wait-Prompt $script:terminal python3 11 -After ($mark + 1)
        $lines = @($lines | Select-Object -Skip $mark)
        $lines[0] | Should -Be '[python3] In [11]: print("discarded")^C'
        $lines | Should -Not -Contain 'discarded'
    }

    It 'recalls the cells of the session with Up and Down' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Key Up
        $null = Wait-TestTerminalText $script:terminal -Pattern '^\[python3\] In \[11\]: name$' -After $mark
        Send-TestTerminalKeys $script:terminal -Key Up
        $null = Wait-TestTerminalText $script:terminal -Pattern '^\[python3\] In \[11\]: import time; time\.sleep\(120\)' -After $mark
        Send-TestTerminalKeys $script:terminal -Key Down
        $null = Wait-TestTerminalText $script:terminal -Pattern '^\[python3\] In \[11\]: name$' -After $mark
        $lines = Invoke-TerminalCell $script:terminal '' python3 12
        $lines[0] | Should -Be '[python3] In [11]: name'
        $lines | Should -Contain "'Ada'"
    }

    It 'returns to PowerShell on exit and leaves the kernel running, with its state' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'exit' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern 'it is still running' -After $mark
        $null = Wait-TestTerminalText $script:terminal -Pattern '^PS .*>$' -After $mark
        (Get-Kernel -Id $script:kernel.Id).State | Should -BeIn @('Idle', 'Busy')
        $script:kernel | Invoke-KernelCode 'name * 2' | Get-RenderedText | Should -Be "'AdaAda'"
    }

    It 'enters again with the kernel''s own history (history_request) and count, and leaves on Ctrl+D' {
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text "Get-Kernel -Id $($script:kernel.Id) | Enter-Kernel" -Key Enter
        # Execution 12 was this process's Invoke-KernelCode.
        $null = Wait-Prompt $script:terminal python3 13 -After ($mark + 1)
        # Up recalls what the kernel stored last: the cell this process ran, never typed in this session.
        Send-TestTerminalKeys $script:terminal -Key Up
        $null = Wait-TestTerminalText $script:terminal -Pattern '^\[python3\] In \[13\]: name \* 2$' -After $mark
        Send-TestTerminalKeys $script:terminal -Key 'C-u', 'C-d'
        $null = Wait-TestTerminalText $script:terminal -Pattern 'it is still running' -After ($mark + 1)
        (Get-Kernel -Id $script:kernel.Id).State | Should -BeIn @('Idle', 'Busy')
    }
}

Describe 'Enter-Kernel beside another client' {
    BeforeAll {
        $script:kernel = Start-Kernel -Name python3
        $script:terminal = Start-TestTerminal -Width 100
        Send-TestTerminalKeys $script:terminal -Text "Enter-Kernel -Id $($script:kernel.Id)" -Key Enter
        $null = Wait-Prompt $script:terminal python3 1 -After 0
    }
    AfterAll {
        if ($script:terminal) { Stop-TestTerminal $script:terminal }
    }

    It 'Ctrl+C abandons a cell queued behind another client''s running cell, never interrupting that cell' {
        # The other client is jupyter_client (Python) on the kernel's connection file; its cell says when it runs.
        $marker = Join-Path (Get-TestRoot) ('running-' + [guid]::NewGuid().ToString('N'))
        $code = @"
import sys, jupyter_client
kc = jupyter_client.BlockingKernelClient(connection_file=sys.argv[1]); kc.load_connection_file(); kc.start_channels(); kc.wait_for_ready(timeout=60)
reply = kc.execute_interactive("import pathlib, time; pathlib.Path(r'$marker').touch(); time.sleep(8); print('other-done')", timeout=120)
print(reply['content']['status'])
"@
        $out = Join-Path (Get-TestRoot) 'other.out'
        $file = Join-Path (Get-TestRoot) 'other.py'
        Set-Content -LiteralPath $file -Value $code -Encoding utf8NoBOM
        $other = Start-Process -FilePath (Get-TestPython) -ArgumentList $file, $script:kernel.ConnectionFile -RedirectStandardOutput $out -RedirectStandardError "$out.err" -PassThru
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while (-not (Test-Path -LiteralPath $marker) -and $clock.Elapsed.TotalSeconds -lt 90) { Start-Sleep -Milliseconds 100 }
        Test-Path -LiteralPath $marker | Should -BeTrue
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'print("mine")' -Key Enter
        Start-Sleep -Seconds 1
        Send-TestTerminalKeys $script:terminal -Key C-c
        # The count is unknown while the kernel still runs the other cell (ours may run after it): "In [ ]".
        $lines = Wait-TestTerminalText $script:terminal -Pattern '^\[python3\] In \[[\d ]+\]:$' -After ($mark + 1)
        ($lines | Select-Object -Skip $mark) -join "`n" | Should -Match 'still queued behind other work'
        $other.WaitForExit(120000) | Should -BeTrue
        $text = Get-Content -Raw $out
        $text | Should -Match 'other-done'
        $text | Should -Match '\bok\b'
        ($text + (Get-Content -Raw "$out.err")) | Should -Not -Match 'KeyboardInterrupt'
    }
}

Describe 'Enter-Kernel on a kernel of a jupyter-server' {
    BeforeAll {
        $script:server = Start-TestJupyterServer
        $env:JK_ENTER_TOKEN = $script:server.Token
        Register-KernelProvider -Name 'srv' -Url $script:server.Url -TokenEnvironmentVariable JK_ENTER_TOKEN
        $script:kernel = Start-Kernel -Name 'srv/python3'
        $null = New-KernelSession -Name 'remote-work' -KernelName 'srv/python3'
        $script:terminal = Start-TestTerminal -Width 100 -Environment @{ JK_ENTER_TOKEN = $script:server.Token }
    }
    AfterAll {
        if ($script:terminal) { Stop-TestTerminal $script:terminal }
        Remove-KernelSession -Name 'remote-work' -Force -Confirm:$false -ErrorAction SilentlyContinue
        Unregister-KernelProvider -Name 'srv' -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item Env:JK_ENTER_TOKEN -ErrorAction SilentlyContinue
    }

    It 'completes, continues, runs, interrupts and exits over the kernel WebSocket, leaving the kernel running' {
        Send-TestTerminalKeys $script:terminal -Text "Enter-Kernel -Id $($script:kernel.Id)" -Key Enter
        $null = Wait-Prompt $script:terminal srv/python3 1 -After 0
        $null = Invoke-TerminalCell $script:terminal 'import json' srv/python3 2
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'json.du' -Key Tab
        $null = Wait-TestTerminalText $script:terminal -Pattern '^\[srv/python3\] In \[2\]: json\.dump$' -After $mark
        Send-TestTerminalKeys $script:terminal -Key Tab
        $null = Wait-TestTerminalText $script:terminal -Pattern '\bdumps\b' -After $mark
        Send-TestTerminalKeys $script:terminal -Key C-u
        Send-TestTerminalKeys $script:terminal -Text 'def f(x):' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern '^ +\.\.\.:$' -After $mark
        Send-TestTerminalKeys $script:terminal -Text 'return x * 2' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern '^ +\.\.\.:$' -After ($mark + 2)
        $null = Invoke-TerminalCell $script:terminal '' srv/python3 3
        Invoke-TerminalCell $script:terminal 'f(21)' srv/python3 4 | Should -Contain '42'

        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'import time; time.sleep(120)' -Key Enter
        Start-Sleep -Seconds 2
        Send-TestTerminalKeys $script:terminal -Key C-c
        $null = Wait-Prompt $script:terminal srv/python3 5 -After ($mark + 1)
        Invoke-TerminalCell $script:terminal 'f(1)' srv/python3 6 | Should -Contain '2'

        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'exit' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern 'it is still running' -After $mark
        $script:kernel | Invoke-KernelCode 'f(5)' | Get-RenderedText | Should -Be '10'
    }

    It 'enters the kernel of a named session, by name and from the pipeline' {
        Send-TestTerminalKeys $script:terminal -Key C-u
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'Enter-Kernel -SessionName remote-work' -Key Enter
        $null = Wait-Prompt $script:terminal srv/python3 1 -After ($mark + 1)
        $null = Invoke-TerminalCell $script:terminal 'who = "session"' srv/python3 2
        Send-TestTerminalKeys $script:terminal -Text 'exit' -Key Enter
        $null = Wait-TestTerminalText $script:terminal -Pattern 'it is still running' -After $mark
        $mark = Get-Mark $script:terminal
        Send-TestTerminalKeys $script:terminal -Text 'Get-KernelSession -Name remote-work | Enter-Kernel' -Key Enter
        $null = Wait-Prompt $script:terminal srv/python3 2 -After ($mark + 1)
        Invoke-TerminalCell $script:terminal 'who' srv/python3 3 | Should -Contain "'session'"
        Send-TestTerminalKeys $script:terminal -Key C-d
        $null = Wait-TestTerminalText $script:terminal -Pattern 'it is still running' -After ($mark + 1)
        Get-KernelSession -Name remote-work | Invoke-KernelCode 'who' | Get-RenderedText | Should -Be "'session'"
    }
}

Describe 'Enter-Kernel without a console, and its parameters' {
    It 'stops with InteractiveConsoleRequired when standard input is redirected (a script)' {
        $kernel = Start-Kernel -Name python3
        try {
            $result = Invoke-TestPwsh -Script "Enter-Kernel -Id '$($kernel.Id)' -ErrorAction Continue; 'after'" -Timeout ([timespan]::FromSeconds(60))
            $result.TimedOut | Should -BeFalse
            ($result.Text + $result.ErrorText) | Should -Match 'needs a console to type in'
            ($result.Text + $result.ErrorText) | Should -Match 'Invoke-KernelCode'
            $result.Output | Should -Contain 'after'
        } finally { $kernel | Stop-Kernel -Force -Confirm:$false }
    }

    It 'reports an unknown session as SessionNotFound and an unknown id as KernelNotFound' {
        { Enter-Kernel -SessionName 'no-such-session' -ErrorAction Stop } | Should -Throw -ErrorId 'SessionNotFound,JupyterKernels.Cmdlets.EnterKernelCommand'
        { Enter-Kernel -Id ([guid]::NewGuid()) -ErrorAction Stop } | Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.EnterKernelCommand'
    }

    It 'enters one kernel only: several piped are an error' {
        $a = [pscustomobject]@{ KernelId = [guid]::NewGuid().ToString() }
        $b = [pscustomobject]@{ KernelId = [guid]::NewGuid().ToString() }
        { $a, $b | Enter-Kernel -ErrorAction Stop } | Should -Throw -ErrorId 'OneKernelOnly,JupyterKernels.Cmdlets.EnterKernelCommand'
    }

    It 'completes its parameters: kernel ids and session names' {
        $kernel = Start-Kernel -Name python3
        try {
            $null = New-KernelSession -Name 'tab-session' -KernelName python3
            $line = 'Enter-Kernel -Id '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $kernel.Id
            $line = 'Enter-Kernel -SessionName tab-'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'tab-session'
        } finally {
            Remove-KernelSession -Name 'tab-session' -Force -Confirm:$false -ErrorAction SilentlyContinue
            $kernel | Stop-Kernel -Force -Confirm:$false
        }
    }

    It 'is exported with help and examples' {
        (Get-Command Enter-Kernel).Module.Name | Should -Be 'JupyterKernels'
        (Get-Help Enter-Kernel).Synopsis | Should -Match 'interactive session'
        @((Get-Help Enter-Kernel -Examples).examples.example).Count | Should -BeGreaterOrEqual 2
    }
}
