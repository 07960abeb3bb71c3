# Pester tests of Remove-KernelSubShell, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Remove-KernelSubShell.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel
}

AfterAll { Clear-TestEnvironment }

Describe 'Remove-KernelSubShell' -Tag 'CI' {
    BeforeAll { $script:testKernel = Start-Kernel -Name jk-testkernel }
    AfterAll { if ($script:testKernel) { $script:testKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'keeps the subshell with -WhatIf and removes it without' {
        $subShell = $script:testKernel | New-KernelSubShell
        $subShell | Remove-KernelSubShell -WhatIf
        ($script:testKernel | Get-KernelSubShell).SubShellId | Should -Contain $subShell.SubShellId
        $subShell | Remove-KernelSubShell -Confirm:$false
        @($script:testKernel | Get-KernelSubShell | ForEach-Object SubShellId) | Should -Not -Contain $subShell.SubShellId
    }
}
