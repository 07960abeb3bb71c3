# Pester tests of Get-Kernel, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-Kernel' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'lists the kernel by id and by name' {
        (Get-Kernel -Id $script:kernel.Id).Id | Should -Be $script:kernel.Id
        (Get-Kernel | Where-Object Id -EQ $script:kernel.Id).Name | Should -Be 'python3'
    }

    It 'reports an unknown id with KernelNotFound' {
        { Get-Kernel -Id ([guid]::NewGuid().ToString()) -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.GetKernelCommand'
    }

    Context 'defects found in use' {
        It 'a piped session returns its kernel' {
            $session = New-KernelSession -Name 'gk-etl' -KernelName python3
            try {
                $k = $session | Get-Kernel -ErrorAction Stop
                $k.Id | Should -Be $session.KernelId
                $k.Session | Should -Be 'gk-etl'
            }
            finally { $session | Remove-KernelSession -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It 'ExecutionCount is filled once code ran in this process' {
            $null = $script:kernel | Invoke-KernelCode 'a = 1'
            $null = $script:kernel | Invoke-KernelCode 'b = 2'
            $reply = $script:kernel | Invoke-KernelCode 'c = 3' -PassThru
            (Get-Kernel -Id $script:kernel.Id).ExecutionCount | Should -Be $reply.ExecutionCount
            $reply.ExecutionCount | Should -BeGreaterThan 2
        }
    }
}

Describe 'Get-Kernel view' -Tag 'CI', 'Views' {
    BeforeAll {
        $script:viewKernels = @(Start-Kernel -Name python3; Start-Kernel -Name python3 -SessionName 'a-rather-long-session-name')
    }
    AfterAll { $script:viewKernels | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }

    It 'is a table that fits 120 columns with every column' {
        $kernels = Get-Kernel | Where-Object Id -In $script:viewKernels.Id
        Test-TableView $kernels -Column 'Id', 'Name', 'State', 'Session', 'Pid/Url', 'StartedAt' -Width 120 -RowValue { $args[0].Id; [string]$args[0].Pid } |
            Should -BeNullOrEmpty
    }

    It 'keeps the key columns (Id, Name, State) whole at 80 columns' {
        $kernels = Get-Kernel | Where-Object Id -In $script:viewKernels.Id
        Test-TableView $kernels -Column 'Id', 'Name', 'State' -Width 80 -RowValue { $args[0].Id } | Should -BeNullOrEmpty
    }
}
