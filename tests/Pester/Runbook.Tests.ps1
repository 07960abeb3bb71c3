# Runbooks and several processes: scripts run by 'pwsh -NonInteractive -File' never prompt or hang and exit with the
# right code; a kernel and a session started in one pwsh process are found and used from a second one after the
# first has exited (the store and the detached kernel outlive the process).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Across processes' -Tag 'CI', 'Runbook' {
    It 'a kernel and a session started by one pwsh are used by the next one after the first exited' {
        $first = Invoke-TestPwsh -Script @'
$kernel = Start-Kernel -Name python3
$session = New-KernelSession -Name nightly -KernelName python3
$null = Invoke-KernelCode -Id $kernel.Id -Code 'x = 41'
$null = Invoke-KernelCode -Id $session.KernelId -Code 'y = 99'
"KERNEL $($kernel.Id)"
"SESSION $($session.KernelId)"
'@
        $first.TimedOut | Should -BeFalse
        $first.ExitCode | Should -Be 0 -Because $first.ErrorText
        $kernelId = ($first.Output -match '^KERNEL ') -replace '^KERNEL '
        $sessionKernelId = ($first.Output -match '^SESSION ') -replace '^SESSION '
        $kernelId | Should -Match '^[0-9a-f-]{36}$'

        $second = Invoke-TestPwsh -Script @"
`$kernel = Get-Kernel -Id '$kernelId'
"STATE `$(`$kernel.State)"
"X `$((Invoke-KernelCode -Id `$kernel.Id -Code 'x + 1').ToString())"
`$session = Get-KernelSession -Name nightly
"SESSION `$(`$session.KernelId)"
"Y `$((Invoke-KernelCode -Id `$session.KernelId -Code 'y + 1').ToString())"
"REUSED `$((New-KernelSession -Name nightly -KernelName python3).KernelId)"
"@
        $second.TimedOut | Should -BeFalse
        $second.ExitCode | Should -Be 0 -Because $second.ErrorText
        $second.ErrorText | Should -BeNullOrEmpty
        $second.Output | Should -Contain 'STATE Idle'
        $second.Output | Should -Contain 'X 42'
        $second.Output | Should -Contain "SESSION $sessionKernelId"
        $second.Output | Should -Contain 'Y 100'
        $second.Output | Should -Contain "REUSED $sessionKernelId"

        # And this process (a third one) sees and stops both.
        (Get-Kernel -Id $kernelId).Id | Should -Be $kernelId
        Get-Kernel | Stop-Kernel -Confirm:$false
        Get-Kernel | Where-Object State -NE 'Stopped' | Should -BeNullOrEmpty
    }
}

Describe 'Runbooks never prompt or hang' -Tag 'CI', 'Runbook' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'input() without -InputResponse fails with InputNotAvailable instead of waiting' {
        $run = Invoke-TestPwsh -Script "Invoke-KernelCode -Id '$($script:kernel.Id)' -Code 'input(""name? "")'; 'AFTER'" -Timeout ([timespan]::FromSeconds(60))
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Contain 'AFTER'
        $run.ErrorText | Should -Match 'InputResponse'
        $run.ExitCode | Should -Be 0
    }

    It 'the same with $ErrorActionPreference = Stop ends the runbook with exit code 1' {
        $run = Invoke-TestPwsh -Script "`$ErrorActionPreference = 'Stop'; Invoke-KernelCode -Id '$($script:kernel.Id)' -Code 'input()'; 'NOT REACHED'" -Timeout ([timespan]::FromSeconds(60))
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Not -Contain 'NOT REACHED'
        $run.ExitCode | Should -Be 1
    }

    It 'Stop-Kernel and Restart-Kernel (ConfirmImpact Medium) run without a prompt' {
        $run = Invoke-TestPwsh -Script @'
$k = Start-Kernel -Name python3
$k = $k | Restart-Kernel -PassThru
$k | Stop-Kernel
$left = Get-Kernel -Id $k.Id -ErrorAction SilentlyContinue
"GONE $(-not $left -or $left.State -eq 'Stopped')"
'@ -Timeout ([timespan]::FromSeconds(120))
        $run.TimedOut | Should -BeFalse
        $run.ExitCode | Should -Be 0 -Because $run.ErrorText
        $run.Output | Should -Contain 'GONE True'
    }

    It 'exit codes: a script''s own exit code comes through, an uncaught terminating error gives 1' {
        (Invoke-TestPwsh -Script "Get-Kernel | Out-Null; exit 7").ExitCode | Should -Be 7
        (Invoke-TestPwsh -Script "Get-Kernel -Id nope -ErrorAction Stop").ExitCode | Should -Be 1
        (Invoke-TestPwsh -Script "Get-KernelSpec | Out-Null").ExitCode | Should -Be 0
    }
}
