# Pester tests of Invoke-KernelCode on a kernel shared by two PowerShell processes: this pwsh and a second
# one (a real 'pwsh -File' process over the same isolated store), both connected to one local ipykernel.
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Invoke-KernelCode.SharedKernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive

    # The other user: a second pwsh running $Script in the background (Invoke-TestPwsh in a thread job, which waits
    # for it with a timeout); Receive-Job gives its result.
    function Start-OtherPwsh([string] $Script) {
        $support = Join-Path $PSScriptRoot 'TestSupport.psm1'
        $root = Get-TestRoot
        Start-ThreadJob -ScriptBlock {
            param($support, $root, $script)
            Import-Module $support -Force
            Initialize-TestEnvironment -Root $root
            Invoke-TestPwsh -Script $script -Timeout ([timespan]::FromSeconds(120))
        } -ArgumentList $support, $root, $Script
    }
}

AfterAll { Clear-TestEnvironment }

Describe 'Invoke-KernelCode on a kernel another PowerShell process uses' -Tag 'CI' {
    BeforeEach {
        $script:kernel = Start-Kernel -Name python3
        $null = $script:kernel | Invoke-KernelCode 'pass'
    }
    AfterEach { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'times out while queued behind the other process''s cell without interrupting it' {
        # The other process's cell says when it runs (a file it touches): a pwsh start under load takes seconds.
        $marker = Join-Path (Get-TestRoot) ('running-' + [guid]::NewGuid().ToString('N'))
        $other = Start-OtherPwsh "Invoke-KernelCode -Id '$($script:kernel.Id)' 'import pathlib, time; pathlib.Path(r""$marker"").touch(); time.sleep(8); print(""other-done"")' -ErrorAction Continue"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while (-not (Test-Path -LiteralPath $marker) -and $clock.Elapsed.TotalSeconds -lt 90) { Start-Sleep -Milliseconds 100 }
        Test-Path -LiteralPath $marker | Should -BeTrue
        $null = $script:kernel | Invoke-KernelCode 'print("quick")' -Timeout 3 -ErrorVariable timeoutErrors -ErrorAction SilentlyContinue
        $timeoutErrors.Count | Should -Be 1
        $timeoutErrors[0].FullyQualifiedErrorId | Should -Be 'ExecutionTimeout,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $timeoutErrors[0].Exception.Message | Should -Match 'queued behind other work'
        $timeoutErrors[0].Exception.Message | Should -Match 'not interrupted'

        $result = $other | Wait-Job -Timeout 150 | Receive-Job
        $result.TimedOut | Should -BeFalse
        $result.Text | Should -Match 'other-done'
        ($result.Text + $result.ErrorText) | Should -Not -Match 'KeyboardInterrupt'
    }

    It 'ends our running call with KernelRestarted when the other process restarts the kernel' {
        $other = Start-OtherPwsh "Start-Sleep -Seconds 4; Restart-Kernel -Id '$($script:kernel.Id)' -Force -Confirm:`$false; 'restarted'"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $out = $script:kernel | Invoke-KernelCode 'import time; time.sleep(60); print("never")' -ErrorVariable restartErrors -ErrorAction SilentlyContinue
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 45
        $restartErrors.Count | Should -Be 1
        $restartErrors[0].FullyQualifiedErrorId | Should -Be 'KernelRestarted,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        "$out" | Should -Not -Match 'never'
        ($other | Wait-Job -Timeout 150 | Receive-Job).Text | Should -Match 'restarted'
        # This process goes on with the restarted kernel.
        ($script:kernel | Invoke-KernelCode 'print("after")').Text | Should -Match 'after'
    }
}
