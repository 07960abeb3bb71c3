BeforeAll { Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force; Initialize-TestEnvironment }
AfterAll { Clear-TestEnvironment }

Describe 'A store damaged under a running pwsh' -Tag 'CI', 'Store', 'Faults' {
    BeforeAll {
        # A store with its pages in the main file: a pwsh that opened it exits, and its last connection checkpoints.
        $seed = Invoke-TestPwsh -Script 'Get-Kernel | Out-Null; "SEEDED"'
        $seed.Output | Should -Contain 'SEEDED'
    }

    It 'truncated: Start-Kernel starts nothing and ends with StoreInvalid (terminating, as every command); restored, the same pwsh works again' {
        $runtime = $env:JUPYTER_RUNTIME_DIR
        $run = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(120)) -Script (@'
$db = $env:JUPYTERKERNELS_DB
Get-Kernel | Out-Null
# Every page into the main file (as after any checkpoint): cutting it then loses pages no WAL frame holds.
& PYTHON -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall()" $db
$good = [IO.File]::ReadAllBytes($db)
$f = [IO.File]::Open($db, 'Open', 'Write', 'ReadWrite'); $f.SetLength([long]($good.Length / 2)); $f.Dispose()
foreach ($command in @({ Start-Kernel -Name python3 }, { Get-Kernel }, { New-KernelSession -Name s -KernelName python3 }, { Sync-KernelSession })) {
    try { & $command -ErrorAction Continue | Out-Null; "NOT TERMINATING $command" } catch { "CAUGHT $($_.Exception.ErrorId) $($_.CategoryInfo.Category)" }
}
"KERNEL FILES $(@(Get-ChildItem -LiteralPath $env:JUPYTER_RUNTIME_DIR -Filter 'kernel-*.json' -ErrorAction SilentlyContinue).Count)"
$f = [IO.File]::Open($db, 'Open', 'Write', 'ReadWrite'); $f.Write($good, 0, $good.Length); $f.Dispose()
"LISTED $(@(Get-Kernel).Count)"
'@ -creplace 'PYTHON', (Get-TestPython))
        $run.TimedOut | Should -BeFalse
        $caught = @($run.Output | Where-Object { $_ -like 'CAUGHT *' })
        ($caught -join '; ') | Should -Be ((@('CAUGHT StoreInvalid InvalidData') * 4) -join '; ') -Because ($run.Output + $run.ErrorOutput -join ' | ')
        $run.Output | Should -Not -Match 'NOT TERMINATING'
        $run.Output | Should -Contain 'KERNEL FILES 0'
        $run.Output | Should -Contain 'LISTED 0'
        @(Get-ChildItem -LiteralPath $runtime -Filter 'kernel-*.json' -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'header corrupted then restored in place: StoreInvalid, then the same pwsh lists and starts again' {
        $run = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(150)) -Script @'
$db = $env:JUPYTERKERNELS_DB
Get-Kernel | Out-Null
$head = [byte[]]::new(16); $f = [IO.File]::Open($db, 'Open', 'ReadWrite', 'ReadWrite'); $null = $f.Read($head, 0, 16)
$f.Position = 0; $f.Write([Text.Encoding]::ASCII.GetBytes('garbage garbage!'), 0, 16); $f.Dispose()
try { Get-Kernel | Out-Null; 'LISTED WHILE DAMAGED' } catch { "CAUGHT $($_.Exception.ErrorId)" }
$f = [IO.File]::Open($db, 'Open', 'Write', 'ReadWrite'); $f.Write($head, 0, 16); $f.Dispose()
$k = Start-Kernel -Name python3
"STARTED $($k.State)"
"LISTED $(@(Get-Kernel).Count)"
$k | Stop-Kernel -Confirm:$false | Out-Null
'@
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Contain 'CAUGHT StoreInvalid'
        $run.Output | Should -Contain 'STARTED Idle'
        $run.Output | Should -Contain 'LISTED 1'
    }
}
