#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the JupyterKernels module into out/JupyterKernels/, optionally packages it and runs the Pester tests.
.DESCRIPTION
    Wraps 'dotnet build' of the solution (an MSBuild target in the Cmdlets project assembles the module folder:
    manifest, format file, help, our assemblies at the root, SQLite in dependencies/). With -Test, runs
    tests/Pester with Pester 5.7.1 fetched from NuGet (tools/PesterModule), each file in a fresh
    'pwsh -NoProfile -NonInteractive' (a loaded binary module cannot be unloaded), exactly as tests/run-all.sh does.
    With -Package, makes out/packages/JupyterKernels.<version>.nupkg with Publish-PSResource into that folder as a
    local repository (build/Publish-ModulePackage.ps1; 'dotnet build build/Package -c Release' does the same), the
    package Install-PSResource installs (docs/install.md).
.EXAMPLE
    ./build.ps1 -Configuration Release -Test
.EXAMPLE
    ./build.ps1 -Package
    Builds and writes out/packages/JupyterKernels.<version>.nupkg; writes the package's FileInfo.
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Run the Pester tests after the build.
    [switch] $Test,

    # Remove out/ and the bin/obj folders first.
    [switch] $Clean,

    # Make the module's .nupkg in out/packages (a local PSResourceGet folder repository) after the build.
    [switch] $Package
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

if ($Package) {
    & (Join-Path $root 'build' 'Publish-ModulePackage.ps1') -ModuleDirectory $moduleDir -OutputDirectory (Join-Path $root 'out' 'packages')
}

if ($Test) {
    # The same Pester as CI: 5.7.1 from NuGet (tools/PesterModule lays it out in out/psmodules), each test file in a
    # fresh pwsh (tests/Pester/Invoke-PesterSuite.ps1). A missing Pester is an error, not a skip.
    & dotnet build (Join-Path $root 'tools' 'PesterModule') -c Release -nologo -v minimal
    if ($LASTEXITCODE -ne 0) { throw "Fetching Pester (tools/PesterModule) failed with exit code $LASTEXITCODE" }
    $sep = [IO.Path]::PathSeparator
    $env:PSModulePath = (Join-Path $root 'out' 'psmodules') + $sep + $env:PSModulePath
    & (Join-Path $root 'tests' 'Pester' 'Invoke-PesterSuite.ps1') -ResultDirectory (Join-Path $root 'out' 'pester')
    if ($LASTEXITCODE -ne 0) { throw "Pester failed (exit code $LASTEXITCODE)" }
}
