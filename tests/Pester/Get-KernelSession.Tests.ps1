# Pester tests of Get-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-KernelSession' -Tag 'CI' {
    BeforeAll { $script:session = New-KernelSession -Name 'pester-get' -KernelName python3 }

    It 'finds the session by name and by wildcard' {
        (Get-KernelSession -Name 'pester-get').KernelId | Should -Be $script:session.KernelId
        (Get-KernelSession -Name 'pester-g*').Name | Should -Contain 'pester-get'
    }

    It 'finds nothing for an unknown name' {
        Get-KernelSession -Name 'no-such-session' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Get-KernelSession view' -Tag 'CI', 'Views' {
    It 'is a table at 120 columns, with Name, KernelName and KernelId whole at 80' {
        Test-TableView @(Get-KernelSession) -Column 'Name', 'KernelName', 'KernelId', 'Type', 'Path' -Width 120 -RowValue { $args[0].Name; $args[0].KernelId } |
            Should -BeNullOrEmpty
        Test-TableView @(Get-KernelSession) -Column 'Name', 'KernelName', 'KernelId' -Width 80 -RowValue { $args[0].Name; $args[0].KernelId } |
            Should -BeNullOrEmpty
    }
}
