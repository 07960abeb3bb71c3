# Pester tests of Restart-Kernel, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Restart-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Restart-Kernel' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'restarts the kernel, losing its variables' {
        $null = $script:kernel | Invoke-KernelCode 'y = 5'
        $script:kernel = $script:kernel | Restart-Kernel -PassThru -Confirm:$false
        $null = $script:kernel | Invoke-KernelCode 'y' -ErrorVariable restartErrors -ErrorAction SilentlyContinue
        $restartErrors[0].Exception.Message | Should -Match 'NameError'
    }
}

# Nothing ends another's running work unasked: another real pwsh process runs a cell; this one tries to restart.
Describe 'Restart-Kernel on a kernel another process runs code on' -Tag 'CI' {
    BeforeAll { Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force }
    AfterAll { Clear-CrossProcessTest }

    It 'refuses with KernelBusy and keeps the variables; restarts with -Force' {
        $kernel = Start-Kernel -Name python3
        $null = $kernel | Invoke-KernelCode 'kept = 7'
        $a = Start-CellElsewhere -Id $kernel.Id
        $kernel | Restart-Kernel -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused.Count | Should -Be 1
        $refused[0].FullyQualifiedErrorId | Should -Be 'KernelBusy,JupyterKernels.Cmdlets.RestartKernelCommand'
        $refused[0].Exception.Message | Should -Match "Restarting it would end that work"

        $restarted = $kernel | Restart-Kernel -Force -Confirm:$false -PassThru
        $restarted.Id | Should -Be $kernel.Id
        $null = $restarted | Invoke-KernelCode 'kept' -ErrorVariable gone -ErrorAction SilentlyContinue
        $gone[0].Exception.Message | Should -Match 'NameError'
        (Wait-TestPwshProcess $a -Timeout ([timespan]::FromSeconds(30))).TimedOut | Should -BeFalse
    }
}
