# Pester tests of Get-Kernel, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-Kernel' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'lists the kernel by id and by name' {
        (Get-Kernel -Id $script:kernel.Id).Id | Should -Be $script:kernel.Id
        (Get-Kernel | Where-Object Id -EQ $script:kernel.Id).Name | Should -Be 'python3'
    }

    It 'reports an unknown id with KernelNotFound' {
        { Get-Kernel -Id ([guid]::NewGuid().ToString()) -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.GetKernelCommand'
    }
}
