# Pester tests of New-KernelSubShell, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/New-KernelSubShell.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel
}

AfterAll { Clear-TestEnvironment }

Describe 'New-KernelSubShell' -Tag 'CI' {
    Context 'on ipykernel 6 (no subshells)' {
        BeforeAll { $script:kernel = Start-Kernel -Name python3 }
        AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

        It 'refuses subshells at once on a kernel without the feature' {
            { $script:kernel | New-KernelSubShell -ErrorAction Stop } |
                Should -Throw -ErrorId 'SubShellsNotSupported,JupyterKernels.Cmdlets.NewKernelSubShellCommand'
        }
    }

    Context 'on the test kernel (protocol 5.5, subshells)' {
        BeforeAll { $script:testKernel = Start-Kernel -Name jk-testkernel }
        AfterAll { if ($script:testKernel) { $script:testKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

        It 'creates a subshell that runs code on its own thread' {
            $subShell = $script:testKernel | New-KernelSubShell
            $subShell.KernelId | Should -Be $script:testKernel.Id
            $subShell.SubShellId | Should -Not -BeNullOrEmpty
            (Invoke-KernelCode -SubShell $subShell -Code 'subshell').Text.Trim() | Should -Be $subShell.SubShellId
        }
    }

    Context 'defects found in use' {
        BeforeAll { $script:testKernel = Start-Kernel -Name jk-testkernel }
        AfterAll { if ($script:testKernel) { $script:testKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

        It 'a piped session creates the subshell in its kernel' {
            $session = New-KernelSession -Name 'sub-etl' -KernelName jk-testkernel
            try {
                $sub = $session | New-KernelSubShell -ErrorAction Stop
                $sub.KernelId | Should -Be $session.KernelId
            }
            finally { $session | Remove-KernelSession -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It 'the no-subshells error names the kernel by spec name and implementation version' {
            $k = Start-Kernel -Name python3
            try {
                $err = $null
                try { $k | New-KernelSubShell -ErrorAction Stop } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'SubShellsNotSupported,JupyterKernels.Cmdlets.NewKernelSubShellCommand'
                $err.TargetObject | Should -Be $k.Id
                $ipython = & (Get-TestPython) -c 'import IPython; print(IPython.__version__)'
                $err.Exception.Message | Should -Match ([regex]::Escape("python3 $($k.Id) (ipython $ipython, protocol 5."))
            }
            finally { $k | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }
        }
    }
}
