# Pester tests of Get-KernelProvider, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelProvider.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-KernelProvider' -Tag 'CI' {
    It 'lists the local provider' {
        (Get-KernelProvider).Name | Should -Contain 'local'
    }
}

Describe 'Get-KernelProvider view' -Tag 'CI', 'Views' {
    It 'is a table at 120 columns, with Name, Kind and Url whole at 80' {
        Register-KernelProvider -Name 'view-provider' -Url 'http://127.0.0.1:9/some/base/path/' -DisplayNameSuffix ' [view]'
        try {
            Test-TableView @(Get-KernelProvider) -Column 'Name', 'Kind', 'Url', 'DisplayNameSuffix', 'HasCredential' -Width 120 -RowValue { $args[0].Name } |
                Should -BeNullOrEmpty
            Test-TableView @(Get-KernelProvider) -Column 'Name', 'Kind', 'Url' -Width 80 -RowValue { $args[0].Name; $args[0].Url } |
                Should -BeNullOrEmpty
        } finally { Unregister-KernelProvider -Name 'view-provider' -Confirm:$false }
    }
}
