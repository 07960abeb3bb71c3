#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite (tests/Pester/*.Tests.ps1), each file in its own fresh pwsh, and prints the summed counts.
.DESCRIPTION
    Each file gets its own 'pwsh -NoProfile -NonInteractive' process: the module is binary (it cannot be unloaded)
    and its shared service reads JUPYTERKERNELS_DB and the Jupyter dirs once per process, so isolation per file means
    a process per file. Pester must be 5.7.1 (tools/PesterModule lays it out in out/psmodules, which is put first on
    PSModulePath here); a missing Pester is an error, never a skip.
    The last line is 'PESTER_COUNTS <passed> <failed> <skipped>'; failed counts failed tests plus failed blocks and
    containers, and a file whose process died or wrote no result counts as one failure. Exit code 0 only when
    nothing failed.
.PARAMETER Path
    Test files or folders (default: every *.Tests.ps1 next to this script).
.PARAMETER ResultDirectory
    Where each file's NUnit XML and counts go (default out/pester).
.PARAMETER InProcess
    Internal: run exactly one file in this process and write its counts.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Invoke-KernelCode.Tests.ps1
#>
[CmdletBinding()]
param(
    [string[]] $Path,
    [string] $ResultDirectory,
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Verbosity = 'Detailed',
    [int] $FileTimeoutSeconds = 900,
    [switch] $InProcess
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PesterVersion = [version]'5.7.1'
$repoRoot = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
$modulesDir = Join-Path $repoRoot 'out' 'psmodules'
if (-not $ResultDirectory) { $ResultDirectory = Join-Path $repoRoot 'out' 'pester' }
$sep = [IO.Path]::PathSeparator
if (-not (($env:PSModulePath -split $sep) -contains $modulesDir)) { $env:PSModulePath = $modulesDir + $sep + $env:PSModulePath }

# 'pwsh -File' passes "a,b" as one string: accept comma-separated lists too.
if ($Path) { $Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ }) }
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }

if ($InProcess) {
    $file = (Resolve-Path -LiteralPath $Path[0]).Path
    $name = [IO.Path]::GetFileNameWithoutExtension([IO.Path]::GetFileNameWithoutExtension($file))
    Import-Module Pester -RequiredVersion $PesterVersion
    # The tests run in this scope's children: they get PowerShell's defaults, not this runner's strict mode.
    Set-StrictMode -Off
    $config = New-PesterConfiguration
    $config.Run.Path = $file
    $config.Run.PassThru = $true
    $config.Output.Verbosity = $Verbosity
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = Join-Path $ResultDirectory "$name.xml"
    $result = Invoke-Pester -Configuration $config
    $counts = [ordered]@{
        File    = $name
        Passed  = $result.PassedCount
        Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
        Skipped = $result.SkippedCount
    }
    $counts | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $ResultDirectory "$name.counts.json") -Encoding utf8NoBOM
    exit ([int]($counts.Failed -gt 0))
}

if (-not (Get-Module -ListAvailable -Name Pester | Where-Object Version -EQ $PesterVersion)) {
    Write-Error "Pester $PesterVersion is not installed: run 'dotnet build tools/PesterModule -c Release' (it fetches it from NuGet into $modulesDir)."
    'PESTER_COUNTS 0 1 0'
    exit 1
}

if (-not $Path) { $Path = @($PSScriptRoot) }
$files = foreach ($p in $Path) {
    if (Test-Path -LiteralPath $p -PathType Container) { Get-ChildItem -LiteralPath $p -Filter '*.Tests.ps1' -File | Sort-Object Name }
    else { Get-Item -LiteralPath $p }
}
$null = New-Item -ItemType Directory -Force -Path $ResultDirectory

# The same pwsh as this one: its apphost, or dotnet + pwsh.dll when running as a .NET tool ('dotnet pwsh').
$pwsh = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'pwsh') { @([Environment]::ProcessPath) }
        else { @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll')) }

$total = @{ Passed = 0; Failed = 0; Skipped = 0 }
$rows = foreach ($file in $files) {
    $name = [IO.Path]::GetFileNameWithoutExtension($file.BaseName)
    $countsFile = Join-Path $ResultDirectory "$name.counts.json"
    Remove-Item -LiteralPath $countsFile -ErrorAction SilentlyContinue
    Write-Host "---- $($file.Name)"
    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath,
            '-InProcess', '-Path', $file.FullName, '-ResultDirectory', $ResultDirectory, '-Verbosity', $Verbosity)) {
        $psi.ArgumentList.Add($a)
    }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $child = [System.Diagnostics.Process]::Start($psi)
    $child.StandardInput.Close()
    if (-not $child.WaitForExit($FileTimeoutSeconds * 1000)) {
        Write-Host "$($file.Name) did not finish within $FileTimeoutSeconds s: killed, counted as one failure"
        try { $child.Kill($true) } catch { }
        $null = $child.WaitForExit(10000)
    }
    if (Test-Path -LiteralPath $countsFile) {
        $c = Get-Content -LiteralPath $countsFile -Raw | ConvertFrom-Json
        [pscustomobject]@{ File = $name; Passed = [int]$c.Passed; Failed = [int]$c.Failed; Skipped = [int]$c.Skipped; Note = '' }
    } else {
        [pscustomobject]@{ File = $name; Passed = 0; Failed = 1; Skipped = 0; Note = "no result (exit $($child.ExitCode))" }
    }
}
foreach ($row in $rows) { $total.Passed += $row.Passed; $total.Failed += $row.Failed; $total.Skipped += $row.Skipped }
$rows | Format-Table -AutoSize | Out-String -Width 120 | Write-Host
"PESTER_COUNTS {0} {1} {2}" -f $total.Passed, $total.Failed, $total.Skipped
exit ([int]($total.Failed -gt 0))
