# Helpers for the cross-process Pester tests: other real pwsh processes running the built module at the
# same time as the test's own process, against the same isolated store and Jupyter dirs (TestSupport.psm1 must be
# imported and Initialize-TestEnvironment called first: the child inherits this process's environment).

Set-StrictMode -Version Latest

$script:Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()

function Start-TestPwshProcess {
    <#
    .SYNOPSIS
        Starts 'pwsh -NoProfile -NonInteractive -File' on a script (the built module imported first) WITHOUT waiting;
        returns a handle for Wait-TestPwshProcess. Stdin is closed, output is captured.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Script)
    $dir = Join-Path (Get-TestRoot) 'scripts'
    $null = New-Item -ItemType Directory -Force -Path $dir
    $file = Join-Path $dir ('proc-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
    $manifest = Join-Path (Get-TestRepoRoot) 'out' 'JupyterKernels' 'JupyterKernels.psd1'
    Set-Content -LiteralPath $file -Value ("Import-Module '$($manifest -replace "'", "''")' -ErrorAction Stop`n" + $Script) -Encoding utf8NoBOM
    $pwsh = Get-PwshCommand
    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file)) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $psi.Environment['COLUMNS'] = '120'
    $psi.Environment['NO_COLOR'] = '1'
    $process = [System.Diagnostics.Process]::Start($psi)
    $process.StandardInput.Close()
    $script:Started.Add($process)
    [pscustomobject]@{
        Process = $process
        Stdout  = $process.StandardOutput.ReadToEndAsync()
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
}

function Wait-TestPwshProcess {
    <# Waits (bounded) for a process of Start-TestPwshProcess; returns ExitCode, Output (lines), ErrorText, TimedOut. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Handle, [timespan] $Timeout = [timespan]::FromSeconds(120))
    $timedOut = -not $Handle.Process.WaitForExit([int]$Timeout.TotalMilliseconds)
    if ($timedOut) { try { $Handle.Process.Kill($true) } catch { } ; $null = $Handle.Process.WaitForExit(10000) }
    $null = $Handle.Stdout.Wait(10000); $null = $Handle.Stderr.Wait(10000)
    [pscustomobject]@{
        ExitCode  = if ($timedOut) { $null } else { $Handle.Process.ExitCode }
        TimedOut  = $timedOut
        Output    = @(($Handle.Stdout.Result -replace "`r", '') -split "`n" | Where-Object { $_ -ne '' })
        Text      = $Handle.Stdout.Result
        ErrorText = $Handle.Stderr.Result
    }
}

function Wait-KernelBusy {
    <# Polls Get-Kernel (this process: it reads the store) until the kernel shows Busy; throws after the timeout. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Id, $Handle, [timespan] $Timeout = [timespan]::FromSeconds(60))
    $deadline = [DateTime]::UtcNow + $Timeout
    while ([DateTime]::UtcNow -lt $deadline) {
        if ((Get-Kernel -Id $Id).State -eq 'Busy') { return }
        if ($Handle -and $Handle.Process.HasExited) { break }
        Start-Sleep -Milliseconds 100
    }
    $why = if ($Handle -and $Handle.Process.HasExited) {
        $r = Wait-TestPwshProcess $Handle
        " (the other process exited with $($r.ExitCode): $($r.Text) $($r.ErrorText))"
    } else { '' }
    throw "kernel $Id never showed Busy within $Timeout$why"
}

function Start-CellElsewhere {
    <#
    .SYNOPSIS
        Another pwsh process runs Python code on the kernel (Invoke-KernelCode, errors silenced, output dropped unless
        -Script gives the whole script); returns its handle once this process sees the kernel Busy.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Id, [string] $Code = 'import time; time.sleep(60)', [string] $Script)
    if (-not $Script) { $Script = "(Invoke-KernelCode -Id '$Id' -Code '$($Code -replace "'", "''")' -ErrorAction SilentlyContinue) | Out-Null" }
    $handle = Start-TestPwshProcess $Script
    Wait-KernelBusy -Id $Id -Handle $handle
    $handle
}

function Clear-CrossProcessTest {
    <# AfterAll of a cross-process Describe: ends the other processes, then kills every kernel left (busy or not). #>
    Stop-TestPwshProcess
    Get-Kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
}

function Stop-TestPwshProcess {
    <# Kills every process Start-TestPwshProcess started that is still running (AfterAll). #>
    foreach ($p in $script:Started) { if (-not $p.HasExited) { try { $p.Kill($true) } catch { } } }
    $script:Started.Clear()
}

Export-ModuleMember -Function 'Start-TestPwshProcess', 'Wait-TestPwshProcess', 'Wait-KernelBusy', 'Start-CellElsewhere', 'Clear-CrossProcessTest', 'Stop-TestPwshProcess'
