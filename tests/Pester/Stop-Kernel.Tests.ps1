# Pester tests of Stop-Kernel, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Stop-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Stop-Kernel' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'leaves the kernel running with -WhatIf' {
        $script:kernel | Stop-Kernel -WhatIf
        (Get-Kernel -Id $script:kernel.Id).State | Should -Not -Be 'Stopped'
        ($script:kernel | Invoke-KernelCode '1+1').ToString() | Should -Be '2'
    }

    It 'stops the kernel' {
        $script:kernel | Stop-Kernel -Confirm:$false
        Get-Kernel -State 'Idle', 'Busy' | Where-Object Id -EQ $script:kernel.Id | Should -BeNullOrEmpty
        $script:kernel = $null
    }

    It 'ends a pipeline: Start-Kernel | Invoke-KernelCode | Stop-Kernel stops the kernel once, after the code ran' {
        $errors = @()
        $out = Start-Kernel -Name python3 | Invoke-KernelCode 'print("ran"); 6*7' | Stop-Kernel -Confirm:$false -PassThru -ErrorVariable errors
        $errors.Count | Should -Be 0
        @($out).Count | Should -Be 1
        $out.State | Should -Be 'Stopped'
        Get-Kernel | Where-Object Id -EQ $out.Id | Should -BeNullOrEmpty
    }

    It 'fails on an unknown id with KernelNotFound' {
        { Stop-Kernel -Id ([guid]::NewGuid().ToString()) -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.StopKernelCommand'
    }

    Context 'defects found in use' {
        It 'a piped session targets its kernel, not its own id (-WhatIf names the kernel)' {
            $session = New-KernelSession -Name 'stop-etl' -KernelName python3
            try {
                # -WhatIf writes to the host; the kernel must still be there and no KernelNotFound error was raised.
                $errors = @()
                $session | Stop-Kernel -WhatIf -ErrorVariable errors -ErrorAction SilentlyContinue
                $errors.Count | Should -Be 0
                (Get-Kernel -Id $session.KernelId).State | Should -Not -Be 'Stopped'
                $stopped = $session | Stop-Kernel -Confirm:$false -PassThru
                $stopped.Id | Should -Be $session.KernelId
            }
            finally { Remove-KernelSession -Name 'stop-etl' -KeepKernel -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It '-PassThru writes the stopped kernel' {
            $k = Start-Kernel -Name python3
            $out = $k | Stop-Kernel -Confirm:$false -PassThru
            $out | Should -BeOfType ([JupyterKernels.Kernel])
            $out.Id | Should -Be $k.Id
            $out.State | Should -Be 'Stopped'
            Get-Kernel | Where-Object Id -EQ $k.Id | Should -BeNullOrEmpty
        }
    }
}

# Nothing ends another's running work unasked: another real pwsh process runs a cell; this one tries to stop the kernel.
Describe 'Stop-Kernel on a kernel another process runs code on' -Tag 'CI' {
    BeforeAll { Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force }
    AfterAll { Clear-CrossProcessTest }

    It 'refuses with KernelBusy naming the other process, leaves its cell running, and stops the kernel once it is done' {
        $kernel = Start-Kernel -Name python3
        $a = Start-CellElsewhere -Id $kernel.Id -Script "(Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(6); print(""survived"")').Text"
        $kernel | Stop-Kernel -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused.Count | Should -Be 1
        $refused[0].FullyQualifiedErrorId | Should -Be 'KernelBusy,JupyterKernels.Cmdlets.StopKernelCommand'
        $refused[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        $refused[0].Exception.Message | Should -Match "running code for another process: execution .* by process $($a.Process.Id)\b.*-Force"
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Busy'

        $r = Wait-TestPwshProcess $a
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        $r.Output | Should -Contain 'survived'
        $kernel | Stop-Kernel -Confirm:$false
        Get-Kernel | Where-Object Id -EQ $kernel.Id | Should -BeNullOrEmpty
    }

    It 'stops it with -Force; the other process''s cell ends with an error, not a hang' {
        $kernel = Start-Kernel -Name python3
        $a = Start-CellElsewhere -Id $kernel.Id -Script @"
Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(60)' -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
`$e | ForEach-Object { `$_.FullyQualifiedErrorId }
"@
        $kernel | Stop-Kernel -Force -Confirm:$false
        Get-Kernel | Where-Object Id -EQ $kernel.Id | Should -BeNullOrEmpty
        $r = Wait-TestPwshProcess $a -Timeout ([timespan]::FromSeconds(30))
        $r.TimedOut | Should -BeFalse
        $r.Text | Should -Match 'KernelDied|ConnectionFailed'
    }
}
