#Requires -Version 7.4
<#
.SYNOPSIS
    Makes the module's .nupkg from the assembled module folder with Publish-PSResource into a local folder repository.
.DESCRIPTION
    The folder OutputDirectory becomes a PSResourceGet repository for the time of the call (registered under a name of
    its own, unregistered afterwards: the user's repository list is left as it was), and Publish-PSResource writes
    JupyterKernels.<version>.nupkg into it. That package is what Install-PSResource installs, from this folder
    registered as a repository or from any NuGet feed it is pushed to (docs/install.md). Writes the package's FileInfo.
    Called by build.ps1 -Package and by build/Package (dotnet build build/Package -c Release).
.EXAMPLE
    ./build/Publish-ModulePackage.ps1 -ModuleDirectory ./out/JupyterKernels -OutputDirectory ./out/packages
#>
[CmdletBinding()]
param(
    # The assembled module folder (out/JupyterKernels after a build); its name is the module's name.
    [Parameter(Mandatory)] [string] $ModuleDirectory,

    # The folder repository that receives the .nupkg (created if missing).
    [Parameter(Mandatory)] [string] $OutputDirectory
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModuleDirectory = (Resolve-Path -LiteralPath $ModuleDirectory).ProviderPath
$name = Split-Path $ModuleDirectory -Leaf
$manifestPath = Join-Path $ModuleDirectory "$name.psd1"
if (-not (Test-Path -LiteralPath $manifestPath)) { throw "No module manifest at ${manifestPath}: build the module first." }
$manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
$prerelease = $manifest.PrivateData.PSData['Prerelease']
$version = if ($prerelease) { "$($manifest.ModuleVersion)-$prerelease" } else { "$($manifest.ModuleVersion)" }
if (-not (Test-Path -LiteralPath (Join-Path $ModuleDirectory 'LICENSE'))) { throw "No LICENSE in ${ModuleDirectory}: the package ships the license." }

$null = New-Item -ItemType Directory -Force -Path $OutputDirectory
$OutputDirectory = (Resolve-Path -LiteralPath $OutputDirectory).ProviderPath
# A folder repository refuses a version it already holds: a rebuild of the same version replaces its package.
$package = Join-Path $OutputDirectory "$name.$version.nupkg"
if (Test-Path -LiteralPath $package) { Remove-Item -LiteralPath $package -Force }

Import-Module Microsoft.PowerShell.PSResourceGet -MinimumVersion 1.1.0
$repository = "$name-build-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
Register-PSResourceRepository -Name $repository -Uri $OutputDirectory -Trusted
try {
    Publish-PSResource -Path $ModuleDirectory -Repository $repository
}
finally {
    Unregister-PSResourceRepository -Name $repository
}
if (-not (Test-Path -LiteralPath $package)) { throw "Publish-PSResource did not write $package" }
Get-Item -LiteralPath $package
