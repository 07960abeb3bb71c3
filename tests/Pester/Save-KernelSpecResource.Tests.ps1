# Pester tests of Save-KernelSpecResource, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Save-KernelSpecResource.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Save-KernelSpecResource' -Tag 'CI' {
    It 'saves the logos of a kernelspec' {
        $files = Save-KernelSpecResource -Name python3 -Path (Join-Path $TestDrive 'logos')
        $files.Name | Should -Contain 'logo-64x64.png'
    }
}
