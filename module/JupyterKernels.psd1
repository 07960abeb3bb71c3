@{
    RootModule           = 'JupyterKernels.Cmdlets.dll'
    # ModuleVersion, PSData.Prerelease and PSData.ReleaseNotes are written by the build (build/ModuleManifest.targets)
    # from Directory.Build.props and CHANGELOG.md: edit them there.
    ModuleVersion        = '0.0.0'
    GUID                 = '6f3c2a8e-4b1d-4e7a-9c55-2d8f0b7a91c4'
    Author               = 'JupyterKernels contributors'
    CompanyName          = 'JupyterKernels contributors'
    Copyright            = 'Copyright (c) 2026 JupyterKernels contributors. MIT License (the LICENSE file).'
    Description          = 'Find, start, drive, share and clean up Jupyter kernels (local or on Jupyter servers and gateways) from PowerShell. Kernels are recorded in SQLite so they outlive the session that started them.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('Format.ps1xml')
    TypesToProcess       = @()
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'Get-KernelSpec'
        'Save-KernelSpecResource'
        'Start-Kernel'
        'Get-Kernel'
        'Invoke-KernelCode'
        'Stop-Kernel'
        'Connect-Kernel'
        'Restart-Kernel'
        'Stop-KernelExecution'
        'New-KernelSubShell'
        'Get-KernelSubShell'
        'Remove-KernelSubShell'
        'Sync-KernelSession'
        'Get-KernelSession'
        'New-KernelSession'
        'Remove-KernelSession'
        'Get-KernelProvider'
        'Register-KernelProvider'
        'Unregister-KernelProvider'
        'Invoke-Notebook'
        'Get-NotebookParameter'
        'Save-KernelOutput'
        'Enter-Kernel'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Jupyter', 'Kernel', 'ipykernel', 'Notebook', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            # No ProjectUri/LicenseUri: the project has no public address yet; the license is the LICENSE file.
            ReleaseNotes = ''
            Prerelease   = ''
        }
    }
}
