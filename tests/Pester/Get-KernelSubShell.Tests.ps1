# Pester tests of Get-KernelSubShell, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSubShell.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-KernelSubShell' -Tag 'CI' {
    BeforeAll { $script:testKernel = Start-Kernel -Name jk-testkernel }
    AfterAll { if ($script:testKernel) { $script:testKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'lists the subshells of a kernel' {
        $subShell = $script:testKernel | New-KernelSubShell
        ($script:testKernel | Get-KernelSubShell).SubShellId | Should -Contain $subShell.SubShellId
    }
}

Describe 'Get-KernelSubShell view' -Tag 'CI', 'Views' {
    BeforeAll { $script:viewKernel = Start-Kernel -Name jk-testkernel; $null = $script:viewKernel | New-KernelSubShell; $null = $script:viewKernel | New-KernelSubShell }
    AfterAll { $script:viewKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }

    It 'is a table with both ids whole at 120 and at 80 columns' {
        $subShells = @($script:viewKernel | Get-KernelSubShell)
        $subShells.Count | Should -BeGreaterThan 0
        foreach ($width in 120, 80) {
            Test-TableView $subShells -Column 'SubShellId', 'KernelId', 'Since' -Width $width -RowValue { $args[0].SubShellId; $args[0].KernelId } |
                Should -BeNullOrEmpty
        }
    }
}
