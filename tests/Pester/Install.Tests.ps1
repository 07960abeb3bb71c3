#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# The install path exactly as a user takes it: the package build/Publish-ModulePackage.ps1 makes (what
# ./build.ps1 -Package and `dotnet build build/Package` run) is published into a folder repository, installed with
# Install-PSResource into an empty module path, imported BY NAME in a fresh pwsh that sees only that path, and used for
# README's main job (start python3, run code, stop). Every child pwsh gets HOME (and XDG_DATA_HOME under it) in this
# file's temp root: PSResourceGet keeps its repository list under XDG_DATA_HOME and installs the CurrentUser scope
# under $HOME/.local/share/powershell/Modules, so both are the test's own, never the user's.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment

    $script:root = Get-TestRoot
    $script:repoRoot = Get-TestRepoRoot
    $script:userHome = Join-Path $script:root 'home'
    $script:xdg = Join-Path $script:userHome '.local' 'share'
    $script:repository = Join-Path $script:root 'repository'
    # PSResourceGet's CurrentUser scope on Linux and macOS.
    $script:installPath = Join-Path $script:xdg 'powershell' 'Modules'
    $null = New-Item -ItemType Directory -Force -Path $script:xdg, $script:repository
    $script:builtManifest = Import-PowerShellDataFile (Join-Path $script:repoRoot 'out' 'JupyterKernels' 'JupyterKernels.psd1')

    # Runs $Script in a fresh pwsh with HOME, XDG_DATA_HOME (and, when given, PSModulePath) set for that process only.
    function script:Invoke-IsolatedPwsh([string] $Script, [string] $ModulePath) {
        # NuGet (inside PSResourceGet) writes its settings under the config home: that too is the test's.
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME; PSModulePath = $env:PSModulePath }
        try {
            $env:HOME = $script:userHome
            $env:XDG_DATA_HOME = $script:xdg
            $env:XDG_CONFIG_HOME = Join-Path $script:userHome '.config'
            if ($ModulePath) { $env:PSModulePath = $ModulePath }
            Invoke-TestPwsh -Script $Script -NoImport -Timeout ([timespan]::FromMinutes(4)) -WorkingDirectory $script:root
        }
        finally {
            $env:HOME = $saved.HOME
            $env:XDG_DATA_HOME = $saved.XDG_DATA_HOME
            $env:XDG_CONFIG_HOME = $saved.XDG_CONFIG_HOME
            $env:PSModulePath = $saved.PSModulePath
        }
    }
}

AfterAll { Clear-TestEnvironment }

Describe 'Install-PSResource of the built package' -Tag 'CI' {
    It 'publishes the module into a folder repository as one .nupkg with the license, version and release notes' {
        $run = Invoke-IsolatedPwsh @"
`$ErrorActionPreference = 'Stop'
`$package = & '$(Join-Path $script:repoRoot 'build' 'Publish-ModulePackage.ps1')' -ModuleDirectory '$(Join-Path $script:repoRoot 'out' 'JupyterKernels')' -OutputDirectory '$script:repository'
'package=' + `$package.Name
'repositories=' + ((Get-PSResourceRepository).Name -join ',')
"@
        $run.ExitCode | Should -Be 0 -Because ($run.ErrorText + $run.Text)
        $version = "$($script:builtManifest.ModuleVersion)-$($script:builtManifest.PrivateData.PSData.Prerelease)"
        $run.Output | Should -Contain "package=JupyterKernels.$version.nupkg"
        # The folder repository registered for the publish is gone again: the user's list is left as it was.
        ($run.Output | Where-Object { $_ -like 'repositories=*' }) | Should -Not -Match 'JupyterKernels-build'

        $nupkg = Join-Path $script:repository "JupyterKernels.$version.nupkg"
        $nupkg | Should -Exist
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $entries = @($zip.Entries.FullName)
            $entries | Should -Contain 'LICENSE'
            $entries | Should -Contain 'JupyterKernels.psd1'
            $entries | Should -Contain 'JupyterKernels.Cmdlets.dll'
            $entries | Should -Contain 'dependencies/runtimes/linux-x64/native/libe_sqlite3.so'
            $reader = [IO.StreamReader]::new($zip.GetEntry('JupyterKernels.nuspec').Open())
            $nuspec = [xml]$reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec.package.metadata.version | Should -Be $version
        $nuspec.package.metadata.releaseNotes | Should -Not -BeNullOrEmpty
        $nuspec.OuterXml | Should -Not -Match 'example\.invalid'
    }

    It 'installs with Install-PSResource into an empty module path' {
        Test-Path -LiteralPath (Join-Path $script:installPath 'JupyterKernels') | Should -BeFalse
        $run = Invoke-IsolatedPwsh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name JKLocal -Uri '$script:repository' -Trusted
Install-PSResource -Name JupyterKernels -Repository JKLocal -Prerelease -Scope CurrentUser
`$installed = Get-InstalledPSResource -Name JupyterKernels
'installed=' + `$installed.Version + '|' + `$installed.Prerelease + '|' + `$installed.InstalledLocation
"@
        $run.ExitCode | Should -Be 0 -Because ($run.ErrorText + $run.Text)
        $line = $run.Output | Where-Object { $_ -like 'installed=*' }
        $line | Should -BeLike "installed=$($script:builtManifest.ModuleVersion)|$($script:builtManifest.PrivateData.PSData.Prerelease)|*"
        Join-Path $script:installPath 'JupyterKernels' $script:builtManifest.ModuleVersion 'JupyterKernels.psd1' | Should -Exist
        Join-Path $script:installPath 'JupyterKernels' $script:builtManifest.ModuleVersion 'LICENSE' | Should -Exist
    }

    It 'imports by name in a fresh pwsh that sees only that path and runs the main job' {
        $run = Invoke-IsolatedPwsh -ModulePath $script:installPath @"
`$ErrorActionPreference = 'Stop'
Import-Module JupyterKernels
`$module = Get-Module JupyterKernels
'base=' + `$module.ModuleBase
'version=' + `$module.Version + '|' + `$module.PrivateData.PSData.Prerelease
`$k = Start-Kernel python3
`$k | Invoke-KernelCode 'import sys; print(sys.version_info[0]); 6*7'
`$k | Stop-Kernel -Confirm:`$false
'left=' + @(Get-Kernel).Count
"@
        $run.ExitCode | Should -Be 0 -Because ($run.ErrorText + $run.Text)
        $base = ($run.Output | Where-Object { $_ -like 'base=*' }) -replace '^base=', ''
        $base | Should -BeLike "$(Join-Path $script:installPath 'JupyterKernels')*"
        $run.Output | Should -Contain "version=$($script:builtManifest.ModuleVersion)|$($script:builtManifest.PrivateData.PSData.Prerelease)"
        $run.Output | Should -Contain '3'
        $run.Output | Should -Contain '42'
        $run.Output | Should -Contain 'left=0'
    }
}
