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
