# Pester tests of Stop-KernelExecution, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Stop-KernelExecution.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Stop-KernelExecution' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'interrupts a running cell: it ends with KeyboardInterrupt and the kernel keeps its state' {
        $null = $script:kernel | Invoke-KernelCode 'kept = 11'
        $job = Start-ThreadJob -ScriptBlock {
            param($id, $manifest)
            Import-Module $manifest
            Invoke-KernelCode -Id $id -Code 'import time; time.sleep(60)' -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
            $e | ForEach-Object { $_.ToString() }
        } -ArgumentList $script:kernel.Id, (Get-Module JupyterKernels).Path
        Start-Sleep -Seconds 2
        $script:kernel | Stop-KernelExecution -Confirm:$false
        $messages = $job | Wait-Job -Timeout 30 | Receive-Job
        $job | Remove-Job -Force
        ($messages -join "`n") | Should -Match 'KeyboardInterrupt'
        ($script:kernel | Invoke-KernelCode 'kept').ToString() | Should -Be '11'
    }
}

# the interrupt comes from another real pwsh process than the one running the cell.
Describe 'Stop-KernelExecution from a second process' -Tag 'CI' {
    BeforeAll { Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force }
    AfterAll { Clear-CrossProcessTest }

    It 'ends the first process''s cell with KeyboardInterrupt (ExecutionError) and the kernel stays usable' {
        $kernel = Start-Kernel -Name python3
        $null = $kernel | Invoke-KernelCode 'kept = 11'
        $a = Start-TestPwshProcess @"
Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(60)' -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
`$e | ForEach-Object { `$_.FullyQualifiedErrorId; `$_.ErrorDetails.Message }
"@
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        Stop-KernelExecution -Id $kernel.Id -Confirm:$false
        $r = Wait-TestPwshProcess $a -Timeout ([timespan]::FromSeconds(60))
        $r.TimedOut | Should -BeFalse
        $r.Text | Should -Match 'ExecutionError'
        $r.Text | Should -Match 'KeyboardInterrupt'
        ($kernel | Invoke-KernelCode 'kept').ToString() | Should -Be '11'
    }
}
