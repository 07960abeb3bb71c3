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

    Context 'defects found in use' {
        It '-RemoveDead deletes the dead kernel''s connection file and log' {
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

        It '-WhatIf prints a "What if:" line for each change and changes nothing' {
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

        It 'an unreachable provider is one SyncProviderFailed error naming it, no warning, no row without a kernel' {
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

        It 'a hanging provider does not hold the local results back and is one bounded failure' {
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

        It '-CullIdle must be a positive duration' {
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

# cull decisions across real pwsh processes. A runs a cell; this process (B) syncs.
Describe 'Sync-KernelSession -CullIdle never kills running work' -Tag 'CI' {
    BeforeAll { Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force }
    AfterAll { Clear-CrossProcessTest }

    It 'keeps a kernel running another process''s cell (with the evidence), and culls it with -IncludeBusy' {
        $kernel = Start-Kernel -Name python3
        $a = Start-TestPwshProcess "(Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(15); print(""survived"")').Text"
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        Start-Sleep -Seconds 4   # the kernel's last activity (the cell's start) is now older than -CullIdle
        $result = Sync-KernelSession -CullIdle 00:00:03 -Confirm:$false | Where-Object KernelId -eq $kernel.Id
        $result.Action | Should -Be 'Kept'
        $result.Reason | Should -Match 'not culled: busy: execution .* by process \d+ is running'
        $r = Wait-TestPwshProcess $a
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        $r.Output | Should -Contain 'survived'

        $a2 = Start-TestPwshProcess @"
Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(60)' -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
`$e | ForEach-Object { `$_.FullyQualifiedErrorId }
"@
        Wait-KernelBusy -Id $kernel.Id -Handle $a2
        Start-Sleep -Seconds 4
        $culled = Sync-KernelSession -CullIdle 00:00:03 -IncludeBusy -Confirm:$false | Where-Object KernelId -eq $kernel.Id
        $culled.Action | Should -Be 'Culled'
        $culled.Reason | Should -Match 'culled because -IncludeBusy'
        $r2 = Wait-TestPwshProcess $a2
        $r2.Text | Should -Match 'KernelDied|ConnectionFailed'
        Get-Kernel | Should -BeNullOrEmpty
    }

    It 'recognises and clears the stale record of an owner killed with SIGKILL mid-execution, and still does not cull the orphaned cell' {
        $kernel = Start-Kernel -Name python3
        $a = Start-TestPwshProcess "Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(20)'"
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        $a.Process.Kill()   # SIGKILL: the owner cannot clear its record
        $a.Process.WaitForExit(10000) | Should -BeTrue
        (Get-Kernel -Id $kernel.Id).State | Should -Not -Be 'Busy' -Because 'a record whose owner is gone does not count'
        Start-Sleep -Seconds 2
        $result = Sync-KernelSession -CullIdle 00:00:01 -Confirm:$false | Where-Object KernelId -eq $kernel.Id
        $result.Action | Should -Be 'Updated'
        $result.Reason | Should -Match "cleared stale record of execution .* by process $($a.Process.Id) \(owner process gone\)"
        # The kernel still runs the dead owner's cell: asked directly, it is busy, so it is kept.
        $result.Reason | Should -Match 'not culled: busy: running code'
        $again = Sync-KernelSession -Confirm:$false | Where-Object KernelId -eq $kernel.Id
        $again.Reason | Should -Not -Match 'stale'
        Get-Kernel -Id $kernel.Id | Should -Not -BeNullOrEmpty
    }
}

# 4 real pwsh processes start / execute / sync+cull / stop (or abandon) kernels in a loop for 2 minutes on
# one store. Bounded: each worker stops starting new rounds after 120 s; the test fails if one runs past 300 s.
Describe 'Four processes on one store for two minutes' -Tag 'CI' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force
        $null = Install-TestKernelSpec
    }
    AfterAll { Clear-CrossProcessTest }

    It 'loses no record, duplicates none, leaves no orphaned kernel process, and kills no running cell' {
        $worker = @'
$deadline = [DateTime]::UtcNow.AddSeconds(120)
$i = 0
while ([DateTime]::UtcNow -lt $deadline) {
    $i++
    $k = Start-Kernel -Name jk-testkernel -ErrorVariable se -ErrorAction SilentlyContinue
    if (-not $k) { "startfail $($se[0].FullyQualifiedErrorId)"; continue }
    "started $($k.Id)"
    $out = Invoke-KernelCode -Id $k.Id -Code "sleep 2`nprint ok" -ErrorVariable ee -ErrorAction SilentlyContinue
    if ($ee) { "cellfailed $($k.Id) $($ee[0].FullyQualifiedErrorId)" } elseif ("$($out.Text)" -eq "ok`n") { "cellok $($k.Id)" } else { "cellodd $($k.Id)" }
    foreach ($r in Sync-KernelSession -CullIdle 00:00:02 -Confirm:$false -WarningAction SilentlyContinue) {
        if ($r.Action -eq 'Culled') { "culled $($r.KernelId)" }
    }
    if ($i % 2 -eq 0) {
        Stop-Kernel -Id $k.Id -Confirm:$false -ErrorVariable te -ErrorAction SilentlyContinue
        if ($te) { "stopfail $($k.Id) $($te[0].FullyQualifiedErrorId)" } else { "stopped $($k.Id)" }
    } else { "abandoned $($k.Id)" }
}
'end'
'@
        $workers = 1..4 | ForEach-Object { Start-TestPwshProcess $worker }
        $results = $workers | ForEach-Object { Wait-TestPwshProcess $_ -Timeout ([timespan]::FromSeconds(300)) }
        $lines = $results | ForEach-Object { $_.Output }
        foreach ($r in $results) {
            $r.TimedOut | Should -BeFalse
            $r.ExitCode | Should -Be 0 -Because $r.ErrorText
            $r.Output[-1] | Should -Be 'end'
        }
        $started = @($lines | Where-Object { $_ -like 'started *' } | ForEach-Object { ($_ -split ' ')[1] })
        $ok = @($lines | Where-Object { $_ -like 'cellok *' })
        $failedCells = @($lines | Where-Object { $_ -like 'cellfailed *' -or $_ -like 'cellodd *' })
        $stopped = @($lines | Where-Object { $_ -like 'stopped *' } | ForEach-Object { ($_ -split ' ')[1] })
        $culled = @($lines | Where-Object { $_ -like 'culled *' } | ForEach-Object { ($_ -split ' ')[1] })
        Write-Host ("{0} kernels started, {1} cells ok, {2} stopped by their owner, {3} culled, {4} start failures" -f $started.Count, $ok.Count, $stopped.Count, $culled.Count, @($lines | Where-Object { $_ -like 'startfail *' }).Count)
        $started.Count | Should -BeGreaterThan 4
        $failedCells | Should -BeNullOrEmpty -Because 'no running cell may be killed'
        @($started | Select-Object -Unique).Count | Should -Be $started.Count
        @($culled | Group-Object | Where-Object Count -gt 1) | Should -BeNullOrEmpty -Because 'a kernel is culled once'
        $recorded = @(Get-Kernel | ForEach-Object Id)
        @($recorded | Select-Object -Unique).Count | Should -Be $recorded.Count -Because 'no duplicated record'
        foreach ($id in $started) {
            ($id -in $stopped -or $id -in $culled -or $id -in $recorded) | Should -BeTrue -Because "kernel $id was started and must be stopped, culled or still recorded"
        }
        @($recorded | Where-Object { $_ -notin $started }) | Should -BeNullOrEmpty -Because 'no record appears from nowhere'

        Get-Kernel | Stop-Kernel -Force -Confirm:$false
        # No orphan: no process still runs a kernel of this store's runtime dir.
        $orphans = Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -match '^\d+$' | ForEach-Object {
            $cmd = try { [IO.File]::ReadAllText("/proc/$($_.Name)/cmdline") } catch { '' }
            if ($cmd.Contains($env:JUPYTER_RUNTIME_DIR)) { $_.Name }
        }
        $orphans | Should -BeNullOrEmpty
    }
}
