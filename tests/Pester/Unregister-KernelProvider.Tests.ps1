# Pester tests of Unregister-KernelProvider, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Unregister-KernelProvider.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Unregister-KernelProvider' -Tag 'CI' {
    It 'keeps the provider with -WhatIf and removes it without' {
        Register-KernelProvider -Name 'pester-gone' -Url 'http://127.0.0.1:9/'
        Unregister-KernelProvider -Name 'pester-gone' -WhatIf
        (Get-KernelProvider).Name | Should -Contain 'pester-gone'
        Unregister-KernelProvider -Name 'pester-gone' -Confirm:$false
        (Get-KernelProvider).Name | Should -Not -Contain 'pester-gone'
    }
}
