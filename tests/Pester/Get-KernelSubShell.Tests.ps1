# Pester tests of Get-KernelSubShell, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSubShell.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-KernelSubShell' -Tag 'CI' {
    BeforeAll { $script:testKernel = Start-Kernel -Name jk-testkernel }
    AfterAll { if ($script:testKernel) { $script:testKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'lists the subshells of a kernel' {
        $subShell = $script:testKernel | New-KernelSubShell
        ($script:testKernel | Get-KernelSubShell).SubShellId | Should -Contain $subShell.SubShellId
    }

    Context 'a listing beside a kernel without subshells (ipykernel 6)' {
        BeforeAll {
            $script:plainKernel = Start-Kernel -Name python3
            $script:listed = $script:testKernel | New-KernelSubShell
        }
        AfterAll { if ($script:plainKernel) { $script:plainKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

        It 'lists every kernel''s subshells without arguments (no prompt for a kernel id) and skips the kernel without subshells' {
            # In a second pwsh: a mandatory parameter there would prompt on a closed stdin and fail, not hang this run.
            $run = Invoke-TestPwsh -Script "Get-KernelSubShell -ErrorVariable e -Verbose 4>&1 | ForEach-Object { if (`$_ -is [System.Management.Automation.VerboseRecord]) { 'VERBOSE ' + `$_.Message } else { 'SUBSHELL ' + `$_.SubShellId } }; 'errors=' + `$e.Count"
            $run.ExitCode | Should -Be 0 -Because ($run.ErrorText + $run.Text)
            $run.Output | Should -Contain "SUBSHELL $($script:listed.SubShellId)"
            $run.Output | Should -Contain 'errors=0'
            ($run.Output | Where-Object { $_ -like 'VERBOSE Skipped:*' }) -join "`n" | Should -Match ([regex]::Escape($script:plainKernel.Id))
        }

        It 'Get-Kernel | Get-KernelSubShell writes the subshells and no SubShellsNotSupported error' {
            $subShells = @(Get-Kernel | Get-KernelSubShell -ErrorVariable failed -ErrorAction SilentlyContinue)
            $failed.Count | Should -Be 0
            $subShells.SubShellId | Should -Contain $script:listed.SubShellId
            @($subShells | Where-Object KernelId -EQ $script:plainKernel.Id).Count | Should -Be 0
        }

        It 'a kernel named with -KernelId that has no subshells is still a SubShellsNotSupported error' {
            $null = Get-KernelSubShell -KernelId $script:plainKernel.Id -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed.Count | Should -Be 1
            $failed[0].FullyQualifiedErrorId | Should -Be 'SubShellsNotSupported,JupyterKernels.Cmdlets.GetKernelSubShellCommand'
        }
    }
}

Describe 'Get-KernelSubShell view' -Tag 'CI', 'Views' {
    BeforeAll { $script:viewKernel = Start-Kernel -Name jk-testkernel; $null = $script:viewKernel | New-KernelSubShell; $null = $script:viewKernel | New-KernelSubShell }
    AfterAll { $script:viewKernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }

    It 'is a table with both ids whole at 120 and at 80 columns' {
        $subShells = @($script:viewKernel | Get-KernelSubShell)
        $subShells.Count | Should -BeGreaterThan 0
        foreach ($width in 120, 80) {
            Test-TableView $subShells -Column 'SubShellId', 'KernelId', 'Since' -Width $width -RowValue { $args[0].SubShellId; $args[0].KernelId } |
                Should -BeNullOrEmpty
        }
    }
}
