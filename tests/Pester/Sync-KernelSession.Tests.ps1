# Pester tests of Sync-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Sync-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
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

    Context 'issue 11 defects' {
        It '§3.5 -RemoveDead deletes the dead kernel''s connection file and log' {
            $kernel = Start-Kernel -Name python3
            $json = $kernel.ConnectionFile
            $log = [IO.Path]::ChangeExtension($json, '.log')
            Test-Path -LiteralPath $json | Should -BeTrue
            Stop-Process -Id $kernel.Pid -Force
            Start-Sleep -Milliseconds 500
            $results = Sync-KernelSession -RemoveDead
            ($results | Where-Object KernelId -EQ $kernel.Id).Action | Should -Be 'Removed'
            Test-Path -LiteralPath $json | Should -BeFalse
            Test-Path -LiteralPath $log | Should -BeFalse
        }

        It '§3.8 -WhatIf prints a "What if:" line for each change and changes nothing' {
            $kernel = Start-Kernel -Name python3
            Stop-Process -Id $kernel.Pid -Force
            Start-Sleep -Milliseconds 500
            $r = Invoke-TestPwsh -Script 'Sync-KernelSession -RemoveDead -WhatIf | Out-Null'
            $r.TimedOut | Should -BeFalse
            $lines = @($r.Output | Where-Object { $_ -like 'What if:*' })
            $lines.Count | Should -Be 1
            $lines[0] | Should -BeLike "*Remove the record of a kernel that is gone*$($kernel.Id)*"
            (Get-Kernel -Id $kernel.Id).Id | Should -Be $kernel.Id
            $null = Sync-KernelSession -RemoveDead
        }

        It '§3.8 an unreachable provider is one SyncProviderFailed error naming it, no warning, no row without a kernel' {
            Register-KernelProvider -Name 'down' -Url "http://127.0.0.1:$(Get-FreeTcpPort)" -TokenEnvironmentVariable 'JK_NO_SUCH_TOKEN_VAR' -RequestTimeout 5 -ConnectTimeout 5 -WarningAction SilentlyContinue
            try {
                $rows = Sync-KernelSession -Provider 'down' -ErrorVariable errs -WarningVariable warns -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
                $errs.Count | Should -Be 1
                $errs[0].FullyQualifiedErrorId | Should -Be 'SyncProviderFailed,JupyterKernels.Cmdlets.SyncKernelSessionCommand'
                $errs[0].TargetObject | Should -Be 'down'
                $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
                $warns.Count | Should -Be 0
                @($rows | Where-Object { [string]::IsNullOrEmpty($_.KernelId) }).Count | Should -Be 0
            }
            finally { Unregister-KernelProvider -Name 'down' -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It '§3.10 a hanging provider does not hold the local results back and is one bounded failure' {
            $hang = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $hang.Start()
            Register-KernelProvider -Name 'hanging' -Url "http://127.0.0.1:$($hang.LocalEndpoint.Port)" -TokenEnvironmentVariable 'JK_PESTER_HANG' -WarningAction SilentlyContinue
            $kernel = Start-Kernel -Name python3
            try {
                $started = [datetime]::UtcNow
                $rows = Sync-KernelSession -ErrorVariable errs -ErrorAction SilentlyContinue
                $elapsed = ([datetime]::UtcNow - $started).TotalSeconds
                @($rows)[0].KernelId | Should -Be $kernel.Id
                @($errs | Where-Object { $_.FullyQualifiedErrorId -like 'SyncProviderFailed,*' -and $_.TargetObject -eq 'hanging' }).Count | Should -Be 1
                $errs[0].Exception.Message | Should -Match 'within 15 s'
                $elapsed | Should -BeLessThan 40
            }
            finally {
                $kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
                Unregister-KernelProvider -Name 'hanging' -Confirm:$false -ErrorAction SilentlyContinue
                $hang.Stop()
            }
        }

        It '§3.4 -CullIdle must be a positive duration' {
            { Sync-KernelSession -CullIdle 0 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,JupyterKernels.Cmdlets.SyncKernelSessionCommand'
        }
    }
}

Describe 'Sync-KernelSession view' -Tag 'CI', 'Views' {
    It 'is a table at 120 columns, with KernelId, Provider, Action, State and WhatIf at 80' {
        $kernel = Start-Kernel -Name python3
        try {
            $results = @(Sync-KernelSession)
            Test-TableView $results -Column 'KernelId', 'Provider', 'Action', 'State', 'WhatIf', 'Reason' -Width 120 -RowValue { $args[0].KernelId } |
                Should -BeNullOrEmpty
            Test-TableView $results -Column 'KernelId', 'Provider', 'Action', 'State', 'WhatIf' -Width 80 -RowValue { $args[0].KernelId } |
                Should -BeNullOrEmpty
        } finally { $kernel | Stop-Kernel -Force -Confirm:$false }
    }
}
