# Pester tests of Invoke-KernelCode, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Invoke-KernelCode.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Invoke-KernelCode' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'runs code and returns the result' {
        $result = $script:kernel | Invoke-KernelCode '6*7'
        $result.ToString() | Should -Be '42'
    }

    It 'streams stdout as KernelStreamOutput' {
        $out = Invoke-KernelCode -Id $script:kernel.Id -Code 'print("hello")'
        $out | Should -BeOfType ([JupyterKernels.KernelStreamOutput])
        $out.Text | Should -Match 'hello'
    }

    It 'writes an ExecutionError for an exception in the kernel' {
        $null = $script:kernel | Invoke-KernelCode '1/0' -ErrorVariable kernelErrors -ErrorAction SilentlyContinue
        $kernelErrors.Count | Should -Be 1
        $kernelErrors[0].FullyQualifiedErrorId | Should -Be 'ExecutionError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $kernelErrors[0].ErrorDetails.Message | Should -Match 'ZeroDivisionError'
        $kernelErrors[0].ErrorDetails.Message | Should -Not -Match "`e\["
    }

    It 'answers input() from -InputResponse' {
        $out = $script:kernel | Invoke-KernelCode 'print(input("name? ") + "!")' -InputResponse 'Ada'
        ($out | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }).Text | Should -Match 'Ada!'
    }

    It 'writes the reply with -PassThru' {
        $reply = $script:kernel | Invoke-KernelCode 'x = 1' -PassThru | Where-Object { $_ -is [JupyterKernels.KernelExecuteReply] }
        $reply.Status | Should -Be 'ok'
    }

    It 'fails on an unknown id with KernelNotFound' {
        { Invoke-KernelCode -Id ([guid]::NewGuid().ToString()) -Code '1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
    }

    Context 'issue 11 defects' {
        BeforeAll {
            $script:testKernelName = Install-TestKernelSpec
            $script:py = Start-Kernel -Name python3
            $script:tk = Start-Kernel -Name $script:testKernelName
        }
        AfterAll {
            foreach ($k in $script:py, $script:tk) { if ($k) { $k | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }
        }

        It '§3.2 a piped session runs the code in its kernel' {
            $session = New-KernelSession -Name 'ikc-etl' -KernelName python3
            try {
                $kernelPid = (Get-Kernel -Id $session.KernelId).Pid
                $out = $session | Invoke-KernelCode 'import os; os.getpid()' -ErrorAction Stop
                $out.ToString() | Should -Be "$kernelPid"
            }
            finally { $session | Remove-KernelSession -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It '§3.3 a piped subshell runs the code in that subshell, not the main shell' {
            $sub = $script:tk | New-KernelSubShell
            $out = $sub | Invoke-KernelCode 'subshell' -ErrorAction Stop
            $out.Text.Trim() | Should -Be $sub.SubShellId
            # And the main shell is still the target of a piped kernel.
            ($script:tk | Invoke-KernelCode 'subshell').Text.Trim() | Should -Be 'main'
        }

        It '§3.4 -Timeout <value> is refused at once when not a positive finite duration' -TestCases @(
            @{ Value = -5 }, @{ Value = 0 }, @{ Value = '-00:00:01' }, @{ Value = 'NaN' }, @{ Value = [double]::PositiveInfinity }
        ) {
            param($Value)
            $started = [datetime]::UtcNow
            $caught = $null
            try { $script:py | Invoke-KernelCode 'import time; time.sleep(30)' -Timeout $Value -ErrorAction Stop }
            catch { $caught = $_ }
            $caught | Should -Not -BeNullOrEmpty
            $caught.FullyQualifiedErrorId | Should -BeIn @(
                'ParameterArgumentValidationError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand',
                'ParameterArgumentTransformationError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand')
            $caught.Exception.Message | Should -Match 'Timeout'
            # Refused before anything ran: far less than the 30 s the code would take.
            ([datetime]::UtcNow - $started).TotalSeconds | Should -BeLessThan 20
        }

        It '§3.4 a timeout yields exactly one error record (ExecutionTimeout)' {
            $out = $script:py | Invoke-KernelCode 'import time; print("start"); time.sleep(30)' -Timeout 2 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ExecutionTimeout,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            $out.Text | Should -Match 'start'
            ($script:py | Invoke-KernelCode '1+1').ToString() | Should -Be '2'
        }

        It '§3.12 a reply with status "abort" to a cell the kernel began is an ExecutionInterrupted error, not a silent end' {
            # IRkernel's word for an interrupted cell; a stop_on_error skip ("aborted") never begins.
            $null = $script:tk | Invoke-KernelCode "fault abort`nerror KeyboardInterrupt stopped" -ContinueOnError -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ExecutionInterrupted,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        }

        It '§3.12 input asked for under -NoStdin is a clear InputNotAvailable error; nothing is sent as a line' {
            $out = $script:tk | Invoke-KernelCode "fault ignorestdin`ninput name? `nprint after" -NoStdin -ContinueOnError -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'InputNotAvailable,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            $errs[0].Exception.Message | Should -Match 'NoStdin'
            # input never returned (no "\u0004" line), so nothing was printed after it.
            $out | Should -BeNullOrEmpty
            ($script:tk | Invoke-KernelCode 'print next').Text | Should -Be "next`n"
        }

        It '§3.12 a runbook whose code asks for input gets one InputNotAvailable error and never hangs' {
            $r = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(60)) -Script @"
`$k = Get-Kernel -Id '$($script:py.Id)'
`$k | Invoke-KernelCode 'x = input("name? "); print("got", repr(x))' -ErrorVariable errs -ErrorAction SilentlyContinue
"errors=`$(`$errs.Count) id=`$(`$errs[0].FullyQualifiedErrorId)"
"@
            $r.TimedOut | Should -BeFalse
            ($r.Output -join "`n") | Should -Match 'errors=1 id=InputNotAvailable,'
            ($r.Output -join "`n") | Should -Not -Match 'got'
        }

        It '§3.11 an ExecutionError targets the kernel id' {
            $null = $script:py | Invoke-KernelCode '1/0' -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].TargetObject | Should -Be $script:py.Id
            $errs[0].Exception.Data['KernelError'].Ename | Should -Be 'ZeroDivisionError'
        }

        It '§3.13 -Silent: help and behaviour agree (no result, printed text still shown)' {
            $help = (Get-Command Invoke-KernelCode).Parameters['Silent'].Attributes.Where({ $_ -is [Parameter] }).HelpMessage
            $help | Should -Match 'printed text still appears'
            $out = $script:py | Invoke-KernelCode 'print(5); 7' -Silent
            @($out | Where-Object { $_ -is [JupyterKernels.KernelExecuteResult] }).Count | Should -Be 0
            ($out | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }).Text | Should -Be "5`n"
        }
    }
}

Describe 'Invoke-KernelCode views (a cell reads like the notebook)' -Tag 'CI', 'Views' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It "shows a result as its text and nothing else: '6*7' is 42" {
        $script:kernel | Invoke-KernelCode '6*7' | Get-RenderedText | Should -Be @('42')
    }

    It "shows 'print(5); 7' as 5 then 7" {
        $script:kernel | Invoke-KernelCode 'print(5); 7' | Get-RenderedText | Should -Be @('5', '7')
    }

    It 'keeps the text form after a table of another type (kernel, kernelspec) in the same pipeline' {
        $lines = & { $script:kernel; $script:kernel | Invoke-KernelCode 'print(5); 7' } | Get-RenderedText
        $lines[-2..-1] | Should -Be @('5', '7')
        $lines -match '^\S+\s*:' | Should -BeNullOrEmpty -Because 'no property list (Name : value) may appear'
        $lines = & { Get-KernelSpec; $script:kernel | Invoke-KernelCode '6*7' } | Get-RenderedText
        $lines[-1] | Should -Be '42'
        $lines -match '^(ExecutionCount|Data|KernelId)\s*:' | Should -BeNullOrEmpty
    }

    It 'keeps the table of kernels after outputs in the same pipeline' {
        $lines = & { $script:kernel | Invoke-KernelCode 'print("hi")'; Get-Kernel -Id $script:kernel.Id } | Get-RenderedText
        $lines[0] | Should -Be 'hi'
        $lines[1] | Should -Match '^Id\s+Name\s+State'
        $lines[-1] | Should -Match ('^' + [regex]::Escape($script:kernel.Id) + '\s+python3\s+Idle')
    }

    It 'summarises display data without an informative text/plain as HTML size and image/png width x height' {
        $html = $script:kernel | Invoke-KernelCode 'from IPython.display import HTML, display; display(HTML("<b>x</b>" * 300))'
        $html.Data['text/plain'] | Should -Match 'IPython.core.display.HTML object'
        $html | Get-RenderedText | Should -Be '<HTML 2.3 KB>'
        $png = 'iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAIAAAC6s0uzAAAAEElEQVR4nGNgGAWjYBSMAgAEIAAB5xyWUgAAAABJRU5ErkJggg=='
        $image = $script:kernel | Invoke-KernelCode "import base64; from IPython.display import Image; Image(data=base64.b64decode('$png'))"
        $image | Get-RenderedText | Should -Be @('<image/png 640x480>')
    }

    It 'shows JSON data as JSON with its types kept ({"a":1} stays 1, not 1.0)' {
        $out = $script:kernel | Invoke-KernelCode 'from IPython.display import JSON, display; display(JSON({"a": 1, "b": [1.5, "s", True, None]}))'
        $out | Get-RenderedText | Should -Be @('{"a":1,"b":[1.5,"s",true,null]}')
        $out.Data['application/json']['a'] | Should -BeOfType ([long])
        $out.ToString() | Should -Be '{"a":1,"b":[1.5,"s",true,null]}'
    }

    It 'shows a rich result with an informative text/plain as that text (pandas-like objects)' {
        $out = $script:kernel | Invoke-KernelCode 'class T:
    def _repr_html_(self): return "<table></table>"
    def __repr__(self): return "T(rows=3)"
T()'
        $out | Get-RenderedText | Should -Be @('T(rows=3)')
    }

    It 'shows -PassThru replies and clear_output on one line each, never as property lists' {
        $lines = $script:kernel | Invoke-KernelCode 'from IPython.display import clear_output; print(1); clear_output()' -PassThru | Get-RenderedText
        $lines[0] | Should -Be '1'
        $lines[1] | Should -Be '(output cleared)'
        $lines[2] | Should -Match '^\(ok, execution \d+, [\d.]+ s\)$'
    }

    It '-Raw: a table whose message ids stay distinct (no identical truncated prefixes)' {
        $raw = $script:kernel | Invoke-KernelCode -Raw '1'
        foreach ($width in 120, 80) {
            $lines = $raw | Get-RenderedText -Width $width
            $lines[0] | Should -Match '^Channel\s+MsgType\s+MsgId\s+Content'
            $rows = $lines | Select-Object -Skip 2
            $rows.Count | Should -Be $raw.Count
            $ids = $rows | ForEach-Object { ($_ -split '\s+')[2] }
            ($ids | Sort-Object -Unique).Count | Should -Be $raw.Count
            $rows | ForEach-Object { $_.Length | Should -BeLessOrEqual $width }
        }
    }

    It 'shows a traceback line by line in a script run, then a one-line ExecutionError' {
        $script = @"
`$k = Get-Kernel -Id '$($script:kernel.Id)'
`$k | Invoke-KernelCode 'def f():
    return 1/0
f()'
"@
        $run = Invoke-TestPwsh -Script $script
        $run.TimedOut | Should -BeFalse
        $out = @($run.Output | ForEach-Object { $_.TrimEnd() })
        $out | Should -Contain '----> 3 f()' -Because $run.ErrorText
        $out | Should -Contain '----> 2     return 1/0'
        $out | Should -Contain 'ZeroDivisionError: division by zero'
        ($run.ErrorOutput -join "`n") | Should -Match 'ZeroDivisionError: division by zero'
        ($run.ErrorOutput -join "`n") | Should -Not -Match 'Traceback \(most recent call last\)' -Because 'the traceback is shown once, as output, not folded into the error paragraph'
    }

    It 'keeps the traceback in the error for Get-Error and shows none when the error is silenced' {
        $info = $null
        $null = $script:kernel | Invoke-KernelCode '1/0' -ErrorVariable err -ErrorAction SilentlyContinue -InformationVariable info
        $info | Should -BeNullOrEmpty
        $err[0].ErrorDetails.Message | Should -Be 'ZeroDivisionError: division by zero'
        $err[0].Exception.Message | Should -Match 'Traceback'
        $err[0].Exception.Message | Should -Not -Match "`e\["
    }
}

# Issue 13: another real pwsh process (A) keeps the main shell busy; this process (B) connects fresh afterwards.
Describe 'Invoke-KernelCode on a kernel another process keeps busy' -Tag 'CI' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force
        $null = Install-TestKernelSpec
    }
    AfterAll { Clear-CrossProcessTest }

    It 'answers New-KernelSubShell and a subshell execution at once, shows Busy, and queues a main-shell request behind the running cell' {
        $kernel = Start-Kernel -Name jk-testkernel
        $a = Start-TestPwshProcess "Invoke-KernelCode -Id '$($kernel.Id)' -Code ""print started``nsleep 10``nprint main done"""
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        # B: a fresh connection (this process never connected to this kernel), made while the main shell is busy.
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Busy'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $sub = New-KernelSubShell -Id $kernel.Id
        $answer = Invoke-KernelCode -SubShell $sub -Code 'subshell'
        $sw.Stop()
        Write-Host "subshell created and answered $($sw.ElapsedMilliseconds) ms after B's first command, while A's 10 s cell ran"
        $answer.Text | Should -Be "$($sub.SubShellId)`n"
        $a.Process.HasExited | Should -BeFalse -Because 'the subshell answered while the main cell still ran'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'B did not wait for the 10 s cell'
        (Get-KernelSubShell -Id $kernel.Id).SubShellId | Should -Contain $sub.SubShellId
        $sub | Remove-KernelSubShell -Confirm:$false
        $r = Wait-TestPwshProcess $a
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        $r.Output | Should -Contain 'main done'
    }

    It 'queues a request on ipykernel behind the other process''s cell and completes after it (no timeout, no "task was canceled")' {
        $kernel = Start-Kernel -Name python3
        $a = Start-TestPwshProcess "Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(10); a_done = True'"
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Busy'
        # a_done exists only once A's cell has ended: B's request ran after it.
        $out = Invoke-KernelCode -Id $kernel.Id -Code 'print(a_done)' -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        $out.Text | Should -Be "True`n"
        $r = Wait-TestPwshProcess $a
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Idle'
    }
}
