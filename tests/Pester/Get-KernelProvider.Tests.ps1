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

    It 'writes a provider once however many names match it, and a plain name that matches none is ProviderNotFound' {
        $found = @(Get-KernelProvider -Name 'local', 'LOC*', 'no-such-provider' -ErrorVariable errs -ErrorAction SilentlyContinue)
        $found.Name | Should -Be @('local')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'ProviderNotFound,JupyterKernels.Cmdlets.GetKernelProviderCommand'
        $errs[0].TargetObject | Should -Be 'no-such-provider'
        @(Get-KernelProvider -Name 'nothing-like-this*' -ErrorVariable none -ErrorAction SilentlyContinue).Count | Should -Be 0
        $none.Count | Should -Be 0
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
