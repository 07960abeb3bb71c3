# Pester tests of Get-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
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
