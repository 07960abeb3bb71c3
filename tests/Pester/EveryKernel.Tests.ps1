# One script, unchanged, on ipykernel (python3), IRkernel (ir) and xeus-python (xpython), as Debian installs them:
# start, run with stdout and an error, a display, -InputResponse, -Timeout accuracy, interrupt, restart keeping
# -Environment and -WorkingDirectory, two processes sharing the kernel, a notebook with parameters, stop.
# Only the code differs per language; every step and every assertion is the same.
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/EveryKernel.Tests.ps1

BeforeDiscovery {
    $script:kernels = @(
        @{ Spec = 'python3'; Lang = 'python'; Print = 'print("got", "Ada")'; Fail = 'raise ValueError("boom")'; FailName = 'ValueError'
           Display = 'from IPython.display import display, HTML; display(HTML("<b>hi</b>"))'
           Ask = 'name = input("Name? "); print("hello", name)'; Sleep = 'import time; time.sleep({0})'
           Show = 'import os; print(os.environ.get("JK_FOO"), os.getcwd())'; Param = 'who = "nobody"'; UseParam = 'print("hi", who)'
           SurvivesInterrupt = $true }
        @{ Spec = 'ir'; Lang = 'R'; Print = 'cat("got", "Ada\n")'; Fail = 'stop("boom")'; FailName = 'ERROR'
           Display = 'IRdisplay::display_html("<b>hi</b>")'
           Ask = 'name <- readline("Name? "); cat("hello", name, "\n")'; Sleep = 'Sys.sleep({0})'
           Show = 'cat(Sys.getenv("JK_FOO"), getwd(), "\n")'; Param = 'who <- "nobody"'; UseParam = 'cat("hi", who, "\n")'
           SurvivesInterrupt = $true }
        @{ Spec = 'xpython'; Lang = 'python'; Print = 'print("got", "Ada")'; Fail = 'raise ValueError("boom")'; FailName = 'ValueError'
           Display = 'from IPython.display import display, HTML; display(HTML("<b>hi</b>"))'
           Ask = 'name = input("Name? "); print("hello", name)'; Sleep = 'import time; time.sleep({0})'
           Show = 'import os; print(os.environ.get("JK_FOO"), os.getcwd())'; Param = 'who = "nobody"'; UseParam = 'print("hi", who)'
           # xeus-python 0.14 (Debian) exits on SIGINT, under jupyter_client too; its interrupt_request does nothing.
           SurvivesInterrupt = $false }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force
    Initialize-TestEnvironment

    # After an interrupt the kernel runs the next cell; one that exits on SIGINT is reported dead, and is restarted.
    function Assert-AfterInterrupt($kernel, $survives, $print) {
        $next = ($kernel | Invoke-KernelCode $print -ErrorVariable died -ErrorAction SilentlyContinue) -join ''
        if ($survives) { $next | Should -Match 'got Ada'; return }
        $died[0].FullyQualifiedErrorId | Should -Match '^KernelDied,'
        $null = $kernel | Restart-Kernel -Force -Confirm:$false
        ($kernel | Invoke-KernelCode $print) -join '' | Should -Match 'got Ada'
    }
}

AfterAll { Clear-TestEnvironment }

Describe 'Every kernel: <Spec>' -Tag 'CI' -ForEach $script:kernels {
    BeforeAll {
        $script:work = Join-Path $TestDrive "work-$Spec"
        $null = New-Item -ItemType Directory -Path $script:work
        $script:k = Start-Kernel -Name $Spec -Environment @{ JK_FOO = 'bar' } -WorkingDirectory $script:work
    }
    AfterAll {
        Clear-CrossProcessTest
    }

    It 'runs code: one line per print, and a readable error' {
        $out = @($script:k | Invoke-KernelCode $Print -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0
        # xeus-python sends this print as four stream messages: the console shows one line.
        $out.Count | Should -Be 1
        "$($out[0])".TrimEnd() | Should -Be 'got Ada'
        $null = $script:k | Invoke-KernelCode $Fail -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].Exception.Message | Should -Match $FailName
        $failed[0].Exception.Message | Should -Match 'boom'
    }

    It 'shows a display' {
        $out = @($script:k | Invoke-KernelCode $Display)
        $html = @($out | Where-Object { $_ -is [JupyterKernels.KernelDisplayData] })
        $html.Count | Should -Be 1
        $html[0].Data['text/html'] | Should -Match '<b>hi</b>'
    }

    It 'answers input from -InputResponse' {
        $out = ($script:k | Invoke-KernelCode $Ask -InputResponse 'Ada') -join ''
        $out | Should -Match 'hello\s+Ada'
    }

    It '-Timeout 1.5 ends within a few hundred ms of 1.5 s and interrupts' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $null = $script:k | Invoke-KernelCode ($Sleep -f 30) -Timeout 1.5 -ErrorVariable timedOut -ErrorAction SilentlyContinue
        $took = $clock.Elapsed.TotalSeconds
        $timedOut[0].FullyQualifiedErrorId | Should -Match '^ExecutionTimeout,'
        $timedOut[0].Exception.Message | Should -Not -Match '\.\.'
        # Generous for loaded machines; IRkernel took 3.5-6.6 s before (a control probe it never answers).
        $took | Should -BeLessThan 3.0
        Assert-AfterInterrupt $script:k $SurvivesInterrupt $Print
    }

    It 'is interrupted by Stop-KernelExecution from another process, and says so' {
        $cell = Start-CellElsewhere -Id $script:k.Id -Script @"
`$e = @(Invoke-KernelCode -Id '$($script:k.Id)' -Code '$(($Sleep -f 60) -replace "'", "''")' -ErrorVariable errs -ErrorAction SilentlyContinue)
'ERR:' + (`$errs | ForEach-Object { `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }) -join '|'
"@
        Stop-KernelExecution -Id $script:k.Id -Confirm:$false
        $r = Wait-TestPwshProcess $cell -Timeout ([timespan]::FromSeconds(60))
        $r.TimedOut | Should -BeFalse
        $r.Text | Should -Match 'ERR:'
        $r.Text | Should -Not -Match 'stop_on_error|KernelRestarted'
        if ($SurvivesInterrupt) { $r.Text | Should -Match 'KeyboardInterrupt|ExecutionInterrupted' }
        else { $r.Text | Should -Match 'KernelDied' }
        Assert-AfterInterrupt $script:k $SurvivesInterrupt $Print
    }

    It 'is shared by two processes at once, neither seeing a restart' {
        $id = $script:k.Id
        $other = Start-TestPwshProcess @"
Invoke-KernelCode -Id '$id' -Code '$($Print -replace "'", "''")' -ErrorVariable errs -ErrorAction SilentlyContinue
'ERRS:' + `$errs.Count
"@
        $mine = @($script:k | Invoke-KernelCode (($Sleep -f 1) + "`n" + $Print) -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0
        ($mine -join '') | Should -Match 'got Ada'
        $r = Wait-TestPwshProcess $other -Timeout ([timespan]::FromSeconds(90))
        $r.Text | Should -Match 'got Ada'
        $r.Text | Should -Match 'ERRS:0'
    }

    It 'restarts from another process keeping -Environment and -WorkingDirectory' {
        $before = (Get-Kernel -Id $script:k.Id).Pid
        $r = Invoke-TestPwsh -Script "Restart-Kernel -Id '$($script:k.Id)' -Confirm:`$false -PassThru | ForEach-Object { 'STATE:' + `$_.State }"
        $r.ErrorText | Should -BeNullOrEmpty
        $r.Text | Should -Match 'STATE:Idle'
        $after = Get-Kernel -Id $script:k.Id
        $after.State | Should -Be 'Idle'
        $after.Pid | Should -Not -Be $before
        ($script:k | Invoke-KernelCode $Show) -join '' | Should -Match ([regex]::Escape("bar $($script:work)"))
    }

    It 'runs a notebook with parameters' {
        $nb = Join-Path $TestDrive "nb-$Spec.ipynb"
        $cell = { param($src, $tags) [ordered]@{ cell_type = 'code'; execution_count = $null; metadata = [ordered]@{ tags = @($tags) }; outputs = @(); source = $src } }
        [ordered]@{
            cells = @((& $cell $Param 'parameters'), (& $cell $UseParam @()), (& $cell $Fail @()))
            metadata = [ordered]@{ kernelspec = [ordered]@{ name = $Spec; display_name = $Spec; language = $Lang } }
            nbformat = 4; nbformat_minor = 5
        } | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $nb -Encoding utf8NoBOM
        $r = Invoke-Notebook $nb -OutputPath (Join-Path $TestDrive "nb-$Spec.out.ipynb") -Parameters @{ who = 'Ada' } -ErrorVariable failed -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.CellsRun | Should -Be 4
        $failed.Count | Should -Be 1
        # One sentence: R's error value ends with a newline, which must not land inside it.
        $failed[0].Exception.Message | Should -Match 'boom'
        $failed[0].Exception.Message | Should -Not -Match "`n|\.\."
        $out = Get-Content -Raw (Join-Path $TestDrive "nb-$Spec.out.ipynb") | ConvertFrom-Json
        # Papermill's error banner comes first in a failed notebook: find the cell by its source.
        $used = @($out.cells | Where-Object { ($_.source -join '') -eq $UseParam })
        ($used[0].outputs[0].text -join '') | Should -Match 'hi\s+Ada'
    }

    It 'stops' {
        $script:k | Stop-Kernel -Confirm:$false
        Get-Kernel -Id $script:k.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
