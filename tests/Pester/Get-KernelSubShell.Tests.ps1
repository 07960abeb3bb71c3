# Pester tests of Get-KernelSubShell, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSubShell.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive -WithTestKernel
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
