#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Pester 5 tests of the cmdlets against the BUILT module (out/JupyterKernels). They need python3 with ipykernel.
# Run them in a fresh pwsh (build.ps1 -Test, or tests/run-all.sh): a binary module cannot be unloaded.

BeforeDiscovery {
    # Subshells need ipykernel 7+ (protocol 5.5); Debian's ipykernel 6 must get the clear error instead.
    $script:kernelHasSubshells = $false
    try {
        $version = & python3 -c 'import ipykernel; print(ipykernel.__version__)' 2>$null
        $script:kernelHasSubshells = [int]($version -split '\.')[0] -ge 7
    } catch { }
}

BeforeAll {
    $script:repoRoot = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    $script:manifest = Join-Path $script:repoRoot 'out' 'JupyterKernels' 'JupyterKernels.psd1'
    # Keep the tests' store away from the user's.
    $env:JUPYTERKERNELS_DB = Join-Path $TestDrive 'kernels.db'
    $env:JUPYTER_CONFIG_DIR = Join-Path $TestDrive 'config'
    $env:JUPYTER_RUNTIME_DIR = Join-Path $TestDrive 'runtime'
    Import-Module $script:manifest -Force -ErrorAction Stop
}

AfterAll {
    Get-Kernel -ErrorAction SilentlyContinue | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Module JupyterKernels -ErrorAction SilentlyContinue
}

Describe 'Module' -Tag 'CI' {
    It 'exports exactly the manifest cmdlets' {
        $module = Get-Module JupyterKernels
        $module.ExportedCmdlets.Keys | Should -Contain 'Invoke-KernelCode'
        $module.ExportedCmdlets.Count | Should -Be 20
        $module.ExportedFunctions.Count | Should -Be 0
    }

    It 'has help for every cmdlet' {
        foreach ($name in (Get-Module JupyterKernels).ExportedCmdlets.Keys) {
            $help = Get-Help $name
            $help.Synopsis | Should -Not -BeNullOrEmpty
            $help.Examples | Should -Not -BeNullOrEmpty
        }
    }
}

Describe 'Get-KernelSpec' -Tag 'CI' {
    It 'lists the python3 kernelspec' {
        $specs = Get-KernelSpec
        $specs.Name | Should -Contain 'python3'
        ($specs | Where-Object Name -EQ 'python3').Language | Should -Be 'python'
    }

    It 'saves the logos of a kernelspec' {
        $files = Save-KernelSpecResource -Name python3 -Path (Join-Path $TestDrive 'logos')
        $files.Name | Should -Contain 'logo-64x64.png'
    }

    It 'reports an unknown spec with KernelSpecNotFound' {
        { Get-KernelSpec -Name 'no-such-spec' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelSpecNotFound,JupyterKernels.Cmdlets.GetKernelSpecCommand'
    }
}

Describe 'Kernel lifecycle' -Tag 'CI' {
    BeforeAll {
        $script:kernel = Start-Kernel -Name python3
    }

    AfterAll {
        if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'starts a kernel that Get-Kernel knows' {
        $script:kernel | Should -Not -BeNullOrEmpty
        $script:kernel.Name | Should -Be 'python3'
        (Get-Kernel -Id $script:kernel.Id).Id | Should -Be $script:kernel.Id
    }

    It 'runs code and returns the result' {
        $result = $script:kernel | Invoke-KernelCode '6*7'
        $result.ToString() | Should -Be '42'
    }

    It 'streams stdout as KernelStreamOutput' {
        $out = Invoke-KernelCode -Id $script:kernel.Id -Code 'print("hello")'
        $out | Should -BeOfType ([JupyterKernels.KernelStreamOutput])
        $out.Text | Should -Match 'hello'
    }

    It 'writes an ExecutionError for an exception in the kernel' {
        $null = $script:kernel | Invoke-KernelCode '1/0' -ErrorVariable kernelErrors -ErrorAction SilentlyContinue
        $kernelErrors.Count | Should -Be 1
        $kernelErrors[0].FullyQualifiedErrorId | Should -Be 'ExecutionError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $kernelErrors[0].ErrorDetails.Message | Should -Match 'ZeroDivisionError'
        $kernelErrors[0].ErrorDetails.Message | Should -Not -Match "`e\["
    }

    It 'answers input() from -InputResponse' {
        $out = $script:kernel | Invoke-KernelCode 'print(input("name? ") + "!")' -InputResponse 'Ada'
        ($out | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }).Text | Should -Match 'Ada!'
    }

    It 'writes the reply with -PassThru' {
        $reply = $script:kernel | Invoke-KernelCode 'x = 1' -PassThru | Where-Object { $_ -is [JupyterKernels.KernelExecuteReply] }
        $reply.Status | Should -Be 'ok'
    }

    It 'leaves the kernel running with -WhatIf' {
        $script:kernel | Stop-Kernel -WhatIf
        (Get-Kernel -Id $script:kernel.Id).State | Should -Not -Be 'Stopped'
        ($script:kernel | Invoke-KernelCode '1+1').ToString() | Should -Be '2'
    }

    It 'restarts the kernel, losing its variables' {
        $null = $script:kernel | Invoke-KernelCode 'y = 5'
        $script:kernel = $script:kernel | Restart-Kernel -PassThru -Confirm:$false
        $null = $script:kernel | Invoke-KernelCode 'y' -ErrorVariable restartErrors -ErrorAction SilentlyContinue
        $restartErrors[0].Exception.Message | Should -Match 'NameError'
    }

    It 'refuses subshells at once on a kernel without the feature (ipykernel < 7)' -Skip:$script:kernelHasSubshells {
        { $script:kernel | New-KernelSubShell -ErrorAction Stop } |
            Should -Throw -ErrorId 'SubShellsNotSupported,JupyterKernels.Cmdlets.NewKernelSubShellCommand'
    }

    It 'creates, uses and removes a subshell (ipykernel 7+)' -Skip:(-not $script:kernelHasSubshells) {
        $subShell = $script:kernel | New-KernelSubShell
        $subShell.KernelId | Should -Be $script:kernel.Id
        ($subShell | Invoke-KernelCode '3*3').ToString() | Should -Be '9'
        ($script:kernel | Get-KernelSubShell).SubShellId | Should -Contain $subShell.SubShellId
        $subShell | Remove-KernelSubShell -Confirm:$false
        ($script:kernel | Get-KernelSubShell).SubShellId | Should -Not -Contain $subShell.SubShellId
    }

    It 'stops the kernel' {
        $script:kernel | Stop-Kernel -Confirm:$false
        Get-Kernel -State 'Idle', 'Busy' | Where-Object Id -EQ $script:kernel.Id | Should -BeNullOrEmpty
        $script:kernel = $null
    }
}

Describe 'Errors' -Tag 'CI' {
    It 'fails Start-Kernel on an unknown spec with KernelSpecNotFound' {
        { Start-Kernel -Name 'no-such-spec' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelSpecNotFound,JupyterKernels.Cmdlets.StartKernelCommand'
    }

    It 'fails Stop-Kernel on an unknown id with KernelNotFound' {
        { Stop-Kernel -Id ([guid]::NewGuid().ToString()) -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.StopKernelCommand'
    }

    It 'fails Invoke-KernelCode on an unknown id with KernelNotFound' {
        { Invoke-KernelCode -Id ([guid]::NewGuid().ToString()) -Code '1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
    }
}

Describe 'Sessions' -Tag 'CI' {
    It 'creates a session, reuses it by name and removes it' {
        $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $first = New-KernelSession -Name $name -KernelName python3
        $second = New-KernelSession -Name $name -KernelName python3
        $second.KernelId | Should -Be $first.KernelId
        (Get-KernelSession -Name $name).KernelId | Should -Be $first.KernelId
        ($first | Get-Kernel).Id | Should -Be $first.KernelId
        Remove-KernelSession -Name $name -Confirm:$false
        Get-KernelSession -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'syncs with -WhatIf without changing anything' {
        $before = @(Get-Kernel).Count
        $results = Sync-KernelSession -RemoveDead -WhatIf
        # Changes are reported as what-if; records that stay as they are are simply Kept.
        $results | Where-Object Action -NE 'Kept' | ForEach-Object { $_.WhatIf | Should -BeTrue }
        @(Get-Kernel).Count | Should -Be $before
    }
}

Describe 'Providers' -Tag 'CI' {
    It 'lists the local provider' {
        (Get-KernelProvider).Name | Should -Contain 'local'
    }

    It 'never echoes a token' {
        $token = ConvertTo-SecureString 'super-secret-token' -AsPlainText -Force
        $info = Register-KernelProvider -Name 'pester-remote' -Url 'http://127.0.0.1:9/' -Token $token -PassThru -Verbose 4>&1
        ($info | Out-String) | Should -Not -Match 'super-secret-token'
        (Get-KernelProvider -Name 'pester-remote' | Format-List * | Out-String) | Should -Not -Match 'super-secret-token'
        Unregister-KernelProvider -Name 'pester-remote' -Confirm:$false
    }
}
