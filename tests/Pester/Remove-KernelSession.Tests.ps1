# Pester tests of Remove-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Remove-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Remove-KernelSession' -Tag 'CI' {
    It 'keeps the session with -WhatIf and removes it without' {
        $null = New-KernelSession -Name 'pester-remove' -KernelName python3
        Remove-KernelSession -Name 'pester-remove' -WhatIf
        Get-KernelSession -Name 'pester-remove' | Should -Not -BeNullOrEmpty
        Remove-KernelSession -Name 'pester-remove' -Confirm:$false
        Get-KernelSession -Name 'pester-remove' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

# Nothing ends another's running work unasked: removing a session stops its kernel, so it is refused while another
# real pwsh process runs a cell on it.
Describe 'Remove-KernelSession of a session whose kernel another process runs code on' -Tag 'CI' {
    BeforeAll { Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force }
    AfterAll { Clear-CrossProcessTest }

    It 'refuses with KernelBusy and keeps the session; -KeepKernel and -Force are allowed' {
        $session = New-KernelSession -Name 'busy-session' -KernelName python3
        $a = Start-CellElsewhere -Id $session.KernelId -Script "(Get-KernelSession -Name 'busy-session' | Invoke-KernelCode -Code 'import time; time.sleep(60)' -ErrorAction SilentlyContinue) | Out-Null"
        Remove-KernelSession -Name 'busy-session' -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused.Count | Should -Be 1
        $refused[0].FullyQualifiedErrorId | Should -Be 'KernelBusy,JupyterKernels.Cmdlets.RemoveKernelSessionCommand'
        Get-KernelSession -Name 'busy-session' | Should -Not -BeNullOrEmpty
        (Get-Kernel -Id $session.KernelId).State | Should -Be 'Busy'

        Remove-KernelSession -Name 'busy-session' -Force -Confirm:$false
        Get-KernelSession -Name 'busy-session' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Kernel | Where-Object Id -EQ $session.KernelId | Should -BeNullOrEmpty
        (Wait-TestPwshProcess $a -Timeout ([timespan]::FromSeconds(30))).TimedOut | Should -BeFalse
    }
}
