# Pester tests of Sync-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Sync-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Sync-KernelSession' -Tag 'CI' {
    It 'syncs with -WhatIf without changing anything' {
        $kernel = Start-Kernel -Name python3
        $before = @(Get-Kernel).Count
        $results = Sync-KernelSession -RemoveDead -WhatIf
        # Changes are reported as what-if; records that stay as they are are simply Kept.
        $results | Where-Object Action -NE 'Kept' | ForEach-Object { $_.WhatIf | Should -BeTrue }
        @(Get-Kernel).Count | Should -Be $before
        $kernel | Stop-Kernel -Force -Confirm:$false
    }
}
