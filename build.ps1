#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the JupyterKernels module into out/JupyterKernels/ and optionally runs the Pester tests.
.DESCRIPTION
    Wraps 'dotnet build' of the solution (an MSBuild target in the Cmdlets project assembles the module folder:
    manifest, format file, help, our assemblies at the root, SQLite in dependencies/). With -Test, runs
    tests/Pester in a fresh 'pwsh -NoProfile -NonInteractive' (a loaded binary module cannot be unloaded),
    when Pester 5 is installed.
.EXAMPLE
    ./build.ps1 -Configuration Release -Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Run the Pester tests after the build.
    [switch] $Test,

    # Remove out/ and the bin/obj folders first.
    [switch] $Clean
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$moduleDir = Join-Path $root 'out' 'JupyterKernels'

if ($Clean) {
    Write-Host 'Cleaning out/, bin/ and obj/'
    foreach ($dir in @((Join-Path $root 'out')) + @(Get-ChildItem -Path (Join-Path $root 'src'), (Join-Path $root 'tests') -Directory -Recurse -Include 'bin', 'obj' | ForEach-Object FullName)) {
        if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    }
}

& dotnet build (Join-Path $root 'JupyterKernels.sln') -c $Configuration
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed with exit code $LASTEXITCODE" }
if (-not (Test-Path -LiteralPath (Join-Path $moduleDir 'JupyterKernels.psd1'))) {
    throw "The build did not assemble $moduleDir"
}
Write-Host "Module ready: $moduleDir"

if ($Test) {
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0.0' } | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Pester 5 is not installed (Install-PSResource Pester); skipping the Pester tests.'
        return
    }
    $testDir = Join-Path $root 'tests' 'Pester'
    $resultFile = Join-Path $root 'out' 'pester-results.xml'
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0.0
`$config = New-PesterConfiguration
`$config.Run.Path = '$($testDir -replace "'", "''")'
`$config.Run.Exit = `$true
`$config.Output.Verbosity = 'Detailed'
`$config.TestResult.Enabled = `$true
`$config.TestResult.OutputPath = '$($resultFile -replace "'", "''")'
Invoke-Pester -Configuration `$config
"@
    & pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "Pester failed with exit code $LASTEXITCODE" }
}
