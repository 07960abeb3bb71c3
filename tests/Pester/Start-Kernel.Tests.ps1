# Pester tests of Start-Kernel, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Start-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Start-Kernel' -Tag 'CI' {
    It 'starts a kernel that Get-Kernel knows' {
        $kernel = Start-Kernel -Name python3
        try {
            $kernel | Should -Not -BeNullOrEmpty
            $kernel.Name | Should -Be 'python3'
            (Get-Kernel -Id $kernel.Id).Id | Should -Be $kernel.Id
        } finally {
            $kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'fails on an unknown spec with KernelSpecNotFound' {
        { Start-Kernel -Name 'no-such-spec' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelSpecNotFound,JupyterKernels.Cmdlets.StartKernelCommand'
    }

    Context 'defects found in use' {
        It 'a failed start (-WorkingDirectory /nonexistent) leaves no connection file or log' {
            $before = @(Get-ChildItem -LiteralPath $env:JUPYTER_RUNTIME_DIR -Filter 'kernel-*' -ErrorAction SilentlyContinue).Count
            { Start-Kernel -Name python3 -WorkingDirectory '/nonexistent' -ErrorAction Stop } |
                Should -Throw -ErrorId 'KernelLaunchFailed,JupyterKernels.Cmdlets.StartKernelCommand'
            @(Get-ChildItem -LiteralPath $env:JUPYTER_RUNTIME_DIR -Filter 'kernel-*' -ErrorAction SilentlyContinue).Count | Should -Be $before
            Get-Kernel | Should -BeNullOrEmpty
        }

        It 'the connection file names the kernelspec (kernel_name), as jupyter_client writes it' {
            $kernel = Start-Kernel -Name python3
            try {
                (Get-Content -Raw -LiteralPath $kernel.ConnectionFile | ConvertFrom-Json).kernel_name | Should -Be 'python3'
            }
            finally { $kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It '-Timeout must be a positive duration' {
            { Start-Kernel -Name python3 -Timeout -1 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,JupyterKernels.Cmdlets.StartKernelCommand'
        }
    }
}
