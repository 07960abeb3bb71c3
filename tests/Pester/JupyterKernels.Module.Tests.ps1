# Module-level checks of the BUILT module (out/JupyterKernels): exports, help. The per-command tests live in
# <Verb-Noun>.Tests.ps1 next to this file; TestSupport.psm1 isolates Jupyter dirs and store into $TestDrive.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Module' -Tag 'CI' {
    It 'exports exactly the manifest cmdlets' {
        $module = Get-Module JupyterKernels
        $module.ExportedCmdlets.Keys | Should -Contain 'Invoke-KernelCode'
        $manifest = Import-PowerShellDataFile (Join-Path $module.ModuleBase 'JupyterKernels.psd1')
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
        $module.ExportedCmdlets.Count | Should -BeGreaterOrEqual 20
        $module.ExportedFunctions.Count | Should -Be 0
    }

    It 'has help for every cmdlet' {
        foreach ($name in (Get-Module JupyterKernels).ExportedCmdlets.Keys) {
            $help = Get-Help $name
            $help.Synopsis | Should -Not -BeNullOrEmpty
            $help.Examples | Should -Not -BeNullOrEmpty
        }
    }

    It 'creates no store file at import (the SQLite warm-up Import-Module starts is in memory)' {
        $db = Join-Path $TestDrive 'import-only' 'kernels.db'
        $run = Invoke-TestPwsh -Script "`$env:JUPYTERKERNELS_DB = '$db'; Import-Module '$(Join-Path (Get-Module JupyterKernels).ModuleBase 'JupyterKernels.psd1')'; Start-Sleep -Milliseconds 800; 'imported'" -NoImport
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Contain 'imported'
        Join-Path $TestDrive 'import-only' | Should -Not -Exist
    }

    It 'loads the core and SQLite from the readytorun image of this platform when it has one, else their IL' {
        $run = Invoke-TestPwsh -Script "Get-Kernel | Out-Null; foreach (`$n in 'JupyterKernels', 'Microsoft.Data.Sqlite') { [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq `$n } | ForEach-Object Location }"
        $run.ExitCode | Should -Be 0
        $base = (Get-Module JupyterKernels).ModuleBase
        $onLinuxX64 = $IsLinux -and [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq 'X64'
        $expected = if ($onLinuxX64) {
            (Join-Path $base 'readytorun' 'linux-x64' 'JupyterKernels.dll'), (Join-Path $base 'dependencies' 'readytorun' 'linux-x64' 'Microsoft.Data.Sqlite.dll')
        } else {
            (Join-Path $base 'JupyterKernels.dll'), (Join-Path $base 'dependencies' 'Microsoft.Data.Sqlite.dll')
        }
        @($run.Output | Where-Object { $_ -like '*.dll' }) | Should -Be $expected
    }

    It 'runs a cold kernel call on precompiled code, the framework boxes of its async methods included' {
        # build/AsyncStateMachineProfile names those boxes for crossgen2, which does not reach them by itself; without
        # the profile this process JIT-compiled ~190 of them (MoveNext(), an 8-byte forwarder, is left to the JIT).
        # .NET 10.0.12 itself aborts at exit now and then while it writes the JIT log (14 of 80 bare `pwsh -Command exit`
        # runs here, no module loaded): a run that did not exit cleanly is made again.
        $log = Join-Path $TestDrive 'jit.txt'
        $env:DOTNET_JitDisasmSummary = '1'
        $env:DOTNET_JitStdOutFile = $log
        try {
            foreach ($attempt in 1..4) {
                Remove-Item $log -ErrorAction SilentlyContinue
                $run = Invoke-TestPwsh -Script "Start-Kernel python3 | Invoke-KernelCode -Code '6*7' -PassThru | Out-Null; Get-Kernel | Stop-Kernel -Confirm:`$false; 'done'"
                if ($run.ExitCode -eq 0) { break }
            }
        }
        finally { Remove-Item -Path 'env:DOTNET_JitDisasmSummary', 'env:DOTNET_JitStdOutFile' }
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Contain 'done'
        $jitted = @(Get-Content $log | Where-Object { $_ -match 'JIT compiled' -and $_ -notmatch 'Tier1|OSR' })
        $jitted.Count | Should -BeGreaterThan 100 -Because 'the log lists what this process compiled'
        $boxes = @($jitted | Where-Object { $_ -match 'StateMachineBox`1\[[^\]]*JupyterKernels' -and $_ -notmatch '\]:MoveNext\(\) ' })
        $boxes.Count | Should -BeLessThan 25 -Because ($boxes | Select-Object -First 5 | Out-String)
    }

    It 'has one Pester file per exported cmdlet' {
        foreach ($name in (Get-Module JupyterKernels).ExportedCmdlets.Keys) {
            Join-Path $PSScriptRoot "$name.Tests.ps1" | Should -Exist
        }
    }
}

Describe "README's first command" -Tag 'CI' {
    It 'prints what README shows (its pwsh part, run as README runs it, in isolated dirs)' {
        $readme = Get-Content -Raw (Join-Path (Get-TestRepoRoot) 'README.md')
        $command = [regex]::Match($readme, '(?s)## The two commands.*?```bash\s*\n(?<cmd>[^\n]+)\n```').Groups['cmd'].Value
        $command -match "dotnet pwsh -NoProfile -c '(?<script>[^']+)'$" | Should -BeTrue -Because $command
        $script = $Matches['script']
        $shown = [regex]::Match($readme, '(?s)it prints.*?```text\s*\n(?<out>.*?)\n```').Groups['out'].Value -split "`n"
        $shown.Count | Should -BeGreaterThan 3

        $run = Invoke-TestPwsh -Script $script -NoImport -Width 120
        $run.TimedOut | Should -BeFalse
        $run.ExitCode | Should -Be 0
        $run.ErrorText | Should -BeNullOrEmpty
        $lines = @($run.Output | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ })
        # README shows its python3 spec; the machine may list more (the system's kernelspec dirs hold IRkernel,
        # xeus-python...): the header, README's rows among the listed ones, then the Python version (the kernel's own)
        # and the result.
        $version = & (Get-TestPython) -c 'import sys; print(sys.version.split()[0])'
        $expected = @($shown | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ }) -replace '^3\.11\.2$', $version
        $lines.Count | Should -BeGreaterOrEqual $expected.Count
        $lines[0..1] | Should -Be $expected[0..1]
        $lines[-2..-1] | Should -Be $expected[-2..-1]
        $listed = @($lines[2..($lines.Count - 3)])
        foreach ($row in $expected[2..($expected.Count - 3)]) { $listed | Should -Contain $row }
    }
}
