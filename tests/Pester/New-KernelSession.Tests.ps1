# Pester tests of New-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/New-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'New-KernelSession' -Tag 'CI' {
    It 'creates a session, reuses it by name and removes it' {
        $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $first = New-KernelSession -Name $name -KernelName python3
        $second = New-KernelSession -Name $name -KernelName python3
        $second.KernelId | Should -Be $first.KernelId
        (Get-KernelSession -Name $name).KernelId | Should -Be $first.KernelId
        ($first | Get-Kernel).Id | Should -Be $first.KernelId   # defect §3.2 (psdefects): a session piped binds its own Id
        Remove-KernelSession -Name $name -Confirm:$false
        Get-KernelSession -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
