# Pester tests of Get-KernelSpec, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSpec.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-KernelSpec' -Tag 'CI' {
    It 'lists the python3 kernelspec' {
        $specs = Get-KernelSpec
        $specs.Name | Should -Contain 'python3'
        ($specs | Where-Object Name -EQ 'python3').Language | Should -Be 'python'
    }

    It 'reports an unknown spec with KernelSpecNotFound' {
        { Get-KernelSpec -Name 'no-such-spec' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelSpecNotFound,JupyterKernels.Cmdlets.GetKernelSpecCommand'
    }
}
