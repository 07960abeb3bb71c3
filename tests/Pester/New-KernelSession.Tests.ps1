# Pester tests of New-KernelSession, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/New-KernelSession.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'New-KernelSession' -Tag 'CI' {
    It 'creates a session, reuses it by name and removes it' {
        $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $first = New-KernelSession -Name $name -KernelName python3
        $second = New-KernelSession -Name $name -KernelName python3
        $second.KernelId | Should -Be $first.KernelId
        (Get-KernelSession -Name $name).KernelId | Should -Be $first.KernelId
        ($first | Get-Kernel).Id | Should -Be $first.KernelId   # a session piped binds its KernelId, not its own Id
        Remove-KernelSession -Name $name -Confirm:$false
        Get-KernelSession -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    Context 'defects found in use' {
        It 'the same name with another kernelspec is a SessionExists error, not the other session' {
            $first = New-KernelSession -Name 'nb1' -KernelName python3
            try {
                $err = $null
                try { New-KernelSession -Name 'nb1' -KernelName ir -ErrorAction Stop } catch { $err = $_ }
                $err | Should -Not -BeNullOrEmpty
                $err.FullyQualifiedErrorId | Should -Be 'SessionExists,JupyterKernels.Cmdlets.NewKernelSessionCommand'
                $err.TargetObject | Should -Be 'nb1'
                $err.Exception.Message | Should -Match "'python3'"
                (Get-KernelSession -Name nb1).KernelId | Should -Be $first.KernelId
                # The same spec still reuses it.
                (New-KernelSession -Name 'nb1' -KernelName python3).KernelId | Should -Be $first.KernelId
            }
            finally { $first | Remove-KernelSession -Confirm:$false -ErrorAction SilentlyContinue }
        }
    }
}
