# Pester tests of Remove-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Remove-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Remove-KernelSession' -Tag 'CI' {
    It 'keeps the session with -WhatIf and removes it without' {
        $null = New-KernelSession -Name 'pester-remove' -KernelName python3
        Remove-KernelSession -Name 'pester-remove' -WhatIf
        Get-KernelSession -Name 'pester-remove' | Should -Not -BeNullOrEmpty
        Remove-KernelSession -Name 'pester-remove' -Confirm:$false
        Get-KernelSession -Name 'pester-remove' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
