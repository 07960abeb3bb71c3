# -WhatIf and -Confirm on every command that changes something. -WhatIf prints "What if:" lines on the host, so each
# check runs in a second 'pwsh -NonInteractive -File' and reads its output; afterwards nothing has changed.
# -Confirm in a non-interactive run must fail at once (no prompt, no hang) and do nothing.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel
    $script:kernel = Start-Kernel -Name jk-testkernel
    $script:subShell = $script:kernel | New-KernelSubShell
    $script:session = New-KernelSession -Name 'whatif-session' -KernelName jk-testkernel
    Register-KernelProvider -Name 'whatif-provider' -Url 'http://127.0.0.1:9/'
    $script:dead = Start-Kernel -Name jk-testkernel
    Stop-Process -Id $script:dead.Pid -Force
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ((Get-Process -Id $script:dead.Pid -ErrorAction SilentlyContinue) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    $script:logos = Join-Path (Get-TestRoot) 'logos'

    function Get-WhatIfLine([string] $Command) {
        $run = Invoke-TestPwsh -Script "$Command -WhatIf; 'DONE'" -Width 300
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Contain 'DONE' -Because $run.ErrorText
        @($run.Output | Where-Object { $_ -like 'What if: *' })
    }
}

AfterAll { Clear-TestEnvironment }

Describe '-WhatIf on every command that changes something' -Tag 'CI', 'WhatIf' {
    It '<Command> says what it would do and does nothing' -ForEach @(
        @{ Command = 'Stop-Kernel -Id $KID'; Expect = '*"Stop kernel"*$KID*' }
        @{ Command = 'Restart-Kernel -Id $KID'; Expect = '*"Restart kernel*$KID*' }
        @{ Command = 'Stop-KernelExecution -Id $KID'; Expect = '*$KID*' }
        @{ Command = 'Remove-KernelSubShell -Id $KID -SubShellId $SID'; Expect = '*$SID*' }
        @{ Command = 'Remove-KernelSession -Name whatif-session'; Expect = '*whatif-session*' }
        @{ Command = 'Unregister-KernelProvider -Name whatif-provider'; Expect = '*whatif-provider*' }
        @{ Command = 'Register-KernelProvider -Name whatif-provider -Url http://127.0.0.1:8/ -Force'; Expect = '*whatif-provider*' }
        @{ Command = 'Start-Kernel -Name jk-testkernel'; Expect = '*jk-testkernel*' }
        @{ Command = 'New-KernelSession -Name whatif-new -KernelName jk-testkernel'; Expect = '*whatif-new*' }
        @{ Command = 'New-KernelSubShell -Id $KID'; Expect = '*$KID*' }
        @{ Command = 'Save-KernelSpecResource -Name python3 -Path $LOGOS'; Expect = '*logo*' }
        @{ Command = 'Sync-KernelSession -RemoveDead'; Expect = '*$DEAD*' }
    ) {
        $expand = { param($text) $text.Replace('$KID', $script:kernel.Id).Replace('$SID', $script:subShell.SubShellId).Replace('$DEAD', $script:dead.Id).Replace('$LOGOS', $script:logos) }
        $kernelsBefore = @(Get-Kernel | Sort-Object Id | ForEach-Object { "$($_.Id) $($_.State)" })
        $lines = Get-WhatIfLine (& $expand $Command)
        $lines | Should -Not -BeNullOrEmpty -Because "$Command -WhatIf must print a 'What if:' line"
        ($lines | Where-Object { $_ -like (& $expand "What if: $Expect") }) | Should -Not -BeNullOrEmpty -Because ($lines -join "`n")

        # Nothing changed.
        @(Get-Kernel | Sort-Object Id | ForEach-Object { "$($_.Id) $($_.State)" }) | Should -Be $kernelsBefore
        ($script:kernel | Get-KernelSubShell).SubShellId | Should -Contain $script:subShell.SubShellId
        (Get-KernelSession).Name | Should -Be @('whatif-session')
        (Get-KernelProvider -Name whatif-provider).Url | Should -Be 'http://127.0.0.1:9/'
        Test-Path -LiteralPath $script:logos | Should -BeFalse
    }
}

Describe '-Confirm in a non-interactive run' -Tag 'CI', 'WhatIf', 'Runbook' {
    It '<Command> -Confirm fails at once without prompting and does nothing' -ForEach @(
        @{ Command = 'Stop-Kernel -Id $KID' }
        @{ Command = 'Remove-KernelSession -Name whatif-session' }
        @{ Command = 'Unregister-KernelProvider -Name whatif-provider' }
    ) {
        $text = $Command.Replace('$KID', $script:kernel.Id)
        $run = Invoke-TestPwsh -Script "$text -Confirm; 'AFTER'" -Timeout ([timespan]::FromSeconds(60))
        $run.TimedOut | Should -BeFalse
        $run.ErrorText | Should -Match 'NonInteractive'
        (Get-Kernel -Id $script:kernel.Id).State | Should -Not -Be 'Stopped'
        (Get-KernelSession).Name | Should -Contain 'whatif-session'
        (Get-KernelProvider).Name | Should -Contain 'whatif-provider'
    }
}
