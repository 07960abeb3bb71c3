@{
    RootModule           = 'JupyterKernels.Cmdlets.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f3c2a8e-4b1d-4e7a-9c55-2d8f0b7a91c4'
    Author               = 'JupyterKernels contributors'
    CompanyName          = 'JupyterKernels contributors'
    Copyright            = '(c) JupyterKernels contributors. All rights reserved.'
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
        'Enter-Kernel'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Jupyter', 'Kernel', 'ipykernel', 'Notebook', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://example.invalid/JupyterKernels/LICENSE'
            ProjectUri   = 'https://example.invalid/JupyterKernels'
            ReleaseNotes = 'First preview.'
            Prerelease   = 'preview1'
        }
    }
}
