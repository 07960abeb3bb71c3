# The kill -9 fault drill as a repeatable test: kill -9 of pwsh at random points during Start-Kernel,
# New-KernelSession, Invoke-KernelCode and Sync-KernelSession -RemoveDead (20 tries each, JK_DRILL_TRIES to change),
# then, once the kernels the interrupted starts left had time to come up, ONE Sync-KernelSession -RemoveDead in a
# fresh pwsh. It must leave: 0 kernel processes without a record, 0 records sync cannot resolve (still Starting,
# liveness unknown, start in progress), and a store whose PRAGMA integrity_check says ok. Bounded: every pwsh is
# killed or ends within a minute; the whole file takes a few minutes on two busy cores.
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Sync-KernelSession.KillDrill.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    # A root of its own rather than $TestDrive (a bare GUID under /tmp): twice in a row on the shared machine the
    # drill's store disappeared from under it mid-run (CANTOPEN / READONLY_DBMOVED), which the drill cannot tell from
    # its own faults. Removed in AfterAll.
    $script:DrillRoot = Join-Path ([IO.Path]::GetTempPath()) ('jk-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    Initialize-TestEnvironment -Root $script:DrillRoot
    $script:Tries = if ($env:JK_DRILL_TRIES) { [int]$env:JK_DRILL_TRIES } else { 20 }
    $script:Parallel = 5
    $script:Random = [Random]::new()
    $script:Manifest = Join-Path (Get-TestRepoRoot) 'out' 'JupyterKernels' 'JupyterKernels.psd1'

    function Start-DrillPwsh([string] $Command, [string] $ReadyFile) {
        # The module is imported before the ready mark, so the kill lands inside the command, not the import.
        $file = Join-Path (Get-TestRoot) ('drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
        Set-Content -LiteralPath $file -Encoding utf8NoBOM -Value @"
Import-Module '$($script:Manifest -replace "'", "''")' -ErrorAction Stop
Set-Content -LiteralPath '$ReadyFile' -Value ready
$Command
"@
        $pwsh = Get-PwshCommand
        $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file)) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($psi)
    }

    function Invoke-KillDrill([scriptblock] $CommandFor, [double] $MaxDelaySeconds) {
        # Tries in waves of $Parallel pwsh processes; each is killed (-9) a random 0..MaxDelay after its own ready
        # mark, so the waves overlap their imports instead of waiting for one another.
        $killedInside = 0
        for ($wave = 0; $wave -lt $script:Tries; $wave += $script:Parallel) {
            $runs = @(foreach ($i in $wave..([Math]::Min($wave + $script:Parallel, $script:Tries) - 1)) {
                $ready = Join-Path (Get-TestRoot) ("ready-" + [guid]::NewGuid().ToString('N'))
                [pscustomobject]@{
                    Process = (Start-DrillPwsh (& $CommandFor $i) $ready); Ready = $ready; ReadyAt = $null; Done = $false
                    Delay = [timespan]::FromSeconds($script:Random.NextDouble() * $MaxDelaySeconds)
                }
            })
            $sw = [Diagnostics.Stopwatch]::StartNew()
            while (@($runs | Where-Object { -not $_.Done }).Count -gt 0 -and $sw.Elapsed.TotalSeconds -lt 90) {
                foreach ($run in $runs | Where-Object { -not $_.Done }) {
                    if ($run.Process.HasExited) { $run.Done = $true; continue }
                    if ($null -eq $run.ReadyAt -and (Test-Path -LiteralPath $run.Ready)) { $run.ReadyAt = $sw.Elapsed }
                    if ($null -ne $run.ReadyAt -and $sw.Elapsed -ge $run.ReadyAt + $run.Delay) {
                        $run.Process.Kill()   # SIGKILL on Unix
                        $killedInside++
                        $run.Done = $true
                    }
                }
                Start-Sleep -Milliseconds 10
            }
            foreach ($run in $runs) {
                if (-not $run.Process.HasExited) { $run.Process.Kill() }
                $null = $run.Process.WaitForExit(30000); $run.Process.Dispose()
            }
        }
        $killedInside
    }

    function Get-KernelProcessIds {
        # Every ipykernel started from this file's runtime dir (its command line names a connection file there).
        $runtime = $env:JUPYTER_RUNTIME_DIR
        foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
            $procId = 0
            if (-not [int]::TryParse([IO.Path]::GetFileName($dir), [ref]$procId)) { continue }
            try { $cmd = [IO.File]::ReadAllText((Join-Path $dir 'cmdline')) } catch { continue }
            if ($cmd.Contains('ipykernel_launcher') -and $cmd.Contains($runtime)) {
                try { $stat = [IO.File]::ReadAllText((Join-Path $dir 'stat')) } catch { continue }
                if ($stat.Substring($stat.LastIndexOf(')') + 2, 1) -notin 'Z', 'X') { $procId }
            }
        }
    }
}

AfterAll {
    # Cleanup in a fresh process (this one's shared service may hold a connection the drill's kills disturbed), then
    # kill -9 whatever kernel of this file's runtime dir is left.
    try { $null = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(120)) -Script 'Get-Kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue' } catch { }
    foreach ($procId in @(Get-KernelProcessIds)) { & kill -9 $procId 2>$null }
    try { Clear-TestEnvironment } catch { Write-Warning "cleanup: $_" }
    Remove-Item -LiteralPath $script:DrillRoot -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Kill drill: kill -9 of pwsh at random points, then one Sync-KernelSession -RemoveDead' -Tag 'CI', 'Drill' {
    It 'Start-Kernel killed at random points' {
        # A start takes 0.4-0.8 s in a fresh process on a quiet machine (several seconds under load), so the kill comes
        # 0-1 s after the ready mark: on a quiet machine about half land inside the start, more under load.
        $killed = Invoke-KillDrill { param($i) 'Start-Kernel python3 | Out-Null' } 1.0
        $script:Tries | Should -BeGreaterOrEqual 20
        $killed | Should -BeGreaterThan ($script:Tries / 4)   # a good share of the kills land inside the start
    }

    It 'New-KernelSession killed at random points' {
        # Ten names for twenty tries: half the calls create (a kernel start, killed inside most of the time), half find
        # a session to reuse or a dead kernel to replace, which on a quiet machine often ends before the kill lands.
        $killed = Invoke-KillDrill { param($i) "New-KernelSession -Name 'drill-$($i % 10)' -KernelName python3 | Out-Null" } 1.5
        $killed | Should -BeGreaterThan ($script:Tries / 4)
    }

    It 'Invoke-KernelCode killed at random points' {
        $kernel = Start-Kernel python3
        $killed = Invoke-KillDrill { param($i) "Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(0.6); print($i)' | Out-Null" } 1.2
        $killed | Should -BeGreaterThan ($script:Tries / 3)
        # The kernel outlives the killed callers and still answers a new process.
        (Invoke-TestPwsh -Script "Invoke-KernelCode -Id '$($kernel.Id)' -Code 'print(6*7)'").Output | Should -Contain '42'
    }

    It 'Sync-KernelSession -RemoveDead killed at random points' {
        $killed = Invoke-KillDrill { param($i) 'Sync-KernelSession -RemoveDead | Out-Null' } 1.5
        $killed | Should -BeGreaterThan 0
    }

    It 'after the grace period one Sync-KernelSession -RemoveDead leaves no orphan, nothing unresolved, an intact store' {
        # Kernels left by interrupted starts need a few seconds to come up (they are adopted once they answer).
        # Under load one may take longer than the 10 s first wait: sync again (every 5 s, up to the product's 60 s
        # grace) while a record is kept only because its kernel is not answering yet.
        Start-Sleep -Seconds 10
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ($true) {
            $final = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(180)) -Script @'
Sync-KernelSession -RemoveDead | ForEach-Object { 'SYNC|{0}|{1}|{2}' -f $_.KernelId, $_.Action, $_.Reason }
Get-Kernel | ForEach-Object { 'KERNEL|{0}|{1}|{2}' -f $_.Id, $_.State, $_.Pid }
'@
            $waiting = @($final.Output | Where-Object { $_ -like 'SYNC|*' -and $_ -match '\|Kept\|.*not answering yet' })
            if ($waiting.Count -eq 0 -or [DateTime]::UtcNow -gt $deadline) { break }
            Start-Sleep -Seconds 5
        }
        $final.TimedOut | Should -BeFalse
        $sync = @($final.Output | Where-Object { $_ -like 'SYNC|*' })
        $kernels = @($final.Output | Where-Object { $_ -like 'KERNEL|*' } | ForEach-Object { $f = $_ -split '\|'; [pscustomobject]@{ Id = $f[1]; State = $f[2]; Pid = $f[3] } })
        $unresolved = @($sync | Where-Object { $_ -match '\|(Failed)\|' -or $_ -match '\|Kept\|.*(liveness unknown|in progress|not answering|could not be resolved)' })
        $unresolved | Should -BeNullOrEmpty -Because "sync must resolve every record: $($final.Text)"
        @($kernels | Where-Object State -eq 'Starting') | Should -BeNullOrEmpty
        $recordedPids = @($kernels | ForEach-Object { $_.Pid })
        $orphans = @(Get-KernelProcessIds | Where-Object { "$_" -notin $recordedPids })
        $orphans | Should -BeNullOrEmpty -Because 'every kernel process left by the drill must be recorded (adopted) or stopped'
        $integrity = & (Get-TestPython) -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])" $env:JUPYTERKERNELS_DB
        $integrity | Should -Be 'ok'
        Write-Host ("drill: {0} kernel records, {1} sync results after the drill" -f $kernels.Count, $sync.Count)
    }
}
