# Pester tests of Start-Kernel, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Start-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Start-Kernel' -Tag 'CI' {
    It 'starts a kernel that Get-Kernel knows' {
        $kernel = Start-Kernel -Name python3
        try {
            $kernel | Should -Not -BeNullOrEmpty
            $kernel.Name | Should -Be 'python3'
            (Get-Kernel -Id $kernel.Id).Id | Should -Be $kernel.Id
        } finally {
            $kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'fails on an unknown spec with KernelSpecNotFound' {
        { Start-Kernel -Name 'no-such-spec' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelSpecNotFound,JupyterKernels.Cmdlets.StartKernelCommand'
    }
}
