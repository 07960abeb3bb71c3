# Module-level checks of the BUILT module (out/JupyterKernels): exports, help. The per-command tests live in
# <Verb-Noun>.Tests.ps1 next to this file; TestSupport.psm1 isolates Jupyter dirs and store into $TestDrive.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Module' -Tag 'CI' {
    It 'exports exactly the manifest cmdlets' {
        $module = Get-Module JupyterKernels
        $module.ExportedCmdlets.Keys | Should -Contain 'Invoke-KernelCode'
        $module.ExportedCmdlets.Count | Should -Be 18
        $module.ExportedFunctions.Count | Should -Be 0
    }

    It 'has help for every cmdlet' {
        foreach ($name in (Get-Module JupyterKernels).ExportedCmdlets.Keys) {
            $help = Get-Help $name
            $help.Synopsis | Should -Not -BeNullOrEmpty
            $help.Examples | Should -Not -BeNullOrEmpty
        }
    }

    It 'has one Pester file per exported cmdlet' {
        foreach ($name in (Get-Module JupyterKernels).ExportedCmdlets.Keys) {
            Join-Path $PSScriptRoot "$name.Tests.ps1" | Should -Exist
        }
    }
}
