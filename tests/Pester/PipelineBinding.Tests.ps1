# The pipeline binding matrix: every object type the module emits piped into every command that targets a kernel or
# a subshell, asserting the target actually used (the kernel id, and the subshell id the test kernel reports back
# with its 'subshell' command). Against the project's test kernel (protocol 5.5, subshells).
# A KernelSession must bind its KernelId, not its own Id, and a KernelSubShell piped to Invoke-KernelCode must run in
# that subshell, not on the main shell.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel
    $script:kernel = Start-Kernel -Name jk-testkernel
    $script:session = New-KernelSession -Name 'pipe-session' -KernelName jk-testkernel
    $script:subShell = $script:kernel | New-KernelSubShell
    $script:syncResult = Sync-KernelSession | Where-Object KernelId -EQ $script:kernel.Id
    $script:output = $script:kernel | Invoke-KernelCode 'print hello'
    $script:spec = Get-KernelSpec -Name jk-testkernel

    # Each input: the object, the kernel it names, the subshell it names ('main' = none).
    function Get-PipelineInput([string] $Type) {
        switch ($Type) {
            'Kernel' { @{ Object = $script:kernel; KernelId = $script:kernel.Id; SubShell = 'main' } }
            'KernelSession' { @{ Object = $script:session; KernelId = $script:session.KernelId; SubShell = 'main' } }
            'KernelSubShell' { @{ Object = $script:subShell; KernelId = $script:kernel.Id; SubShell = $script:subShell.SubShellId } }
            'SyncResult' { @{ Object = $script:syncResult; KernelId = $script:kernel.Id; SubShell = 'main' } }
            'KernelStreamOutput' { @{ Object = $script:output; KernelId = $script:kernel.Id; SubShell = 'main' } }
        }
    }
}

AfterAll { Clear-TestEnvironment }

Describe 'Pipeline binding matrix' -Tag 'CI', 'Pipeline' {
    It 'emits each type once (the matrix has its inputs)' {
        $script:kernel | Should -BeOfType ([JupyterKernels.Kernel])
        $script:session | Should -BeOfType ([JupyterKernels.KernelSession])
        $script:subShell | Should -BeOfType ([JupyterKernels.KernelSubShell])
        $script:syncResult | Should -BeOfType ([JupyterKernels.SyncResult])
        $script:output | Should -BeOfType ([JupyterKernels.KernelStreamOutput])
        $script:session.KernelId | Should -Not -Be $script:kernel.Id -Because 'the session has a kernel of its own'
    }

    Context '<Type> | Get-Kernel' -ForEach @(
        @{ Type = 'Kernel' }, @{ Type = 'KernelSession' }, @{ Type = 'KernelSubShell' }, @{ Type = 'SyncResult' }, @{ Type = 'KernelStreamOutput' }
    ) {
        It 'returns the kernel the object names' {
            $in = Get-PipelineInput $Type
            ($in.Object | Get-Kernel -ErrorAction Stop).Id | Should -Be $in.KernelId
        }
    }

    Context '<Type> | Invoke-KernelCode' -ForEach @(
        @{ Type = 'Kernel' }, @{ Type = 'KernelSession' }, @{ Type = 'KernelSubShell' }, @{ Type = 'SyncResult' }, @{ Type = 'KernelStreamOutput' }
    ) {
        It 'runs on the kernel and (sub)shell the object names' {
            $in = Get-PipelineInput $Type
            $out = $in.Object | Invoke-KernelCode 'subshell' -ErrorAction Stop
            $out.KernelId | Should -Be $in.KernelId
            $out.Text.Trim() | Should -Be $in.SubShell
        }
    }

    Context '<Type> | New-KernelSubShell and Get-KernelSubShell' -ForEach @(
        @{ Type = 'Kernel' }, @{ Type = 'KernelSession' }, @{ Type = 'SyncResult' }, @{ Type = 'KernelStreamOutput' }
    ) {
        It 'creates and lists the subshell on the kernel the object names' {
            $in = Get-PipelineInput $Type
            $created = $in.Object | New-KernelSubShell -ErrorAction Stop
            $created.KernelId | Should -Be $in.KernelId
            ($in.Object | Get-KernelSubShell -ErrorAction Stop).SubShellId | Should -Contain $created.SubShellId
            (Invoke-KernelCode -SubShell $created -Code 'subshell').Text.Trim() | Should -Be $created.SubShellId
        }
    }

    It 'KernelSubShell | Get-KernelSubShell lists that kernel''s subshells' {
        ($script:subShell | Get-KernelSubShell -ErrorAction Stop).SubShellId | Should -Contain $script:subShell.SubShellId
    }

    It 'KernelSpec | Start-Kernel starts that spec' {
        $started = $script:spec | Start-Kernel -ErrorAction Stop
        try { $started.Name | Should -Be 'jk-testkernel' }
        finally { $started | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue }
    }

    It 'every destructive kernel/subshell command names the right target in its What if: line, for every input type' {
        # -WhatIf messages go to the host, so the matrix runs in a second pwsh and reads its output.
        $script = @"
`$kernel = Get-Kernel -Id '$($script:kernel.Id)'
`$session = Get-KernelSession -Name 'pipe-session'
`$subShell = `$kernel | Get-KernelSubShell | Where-Object SubShellId -EQ '$($script:subShell.SubShellId)'
`$sync = Sync-KernelSession -WhatIf 6>`$null | Where-Object KernelId -EQ '$($script:kernel.Id)'
`$output = `$kernel | Invoke-KernelCode 'print hello'
`$inputs = [ordered]@{ Kernel = `$kernel; KernelSession = `$session; KernelSubShell = `$subShell; SyncResult = `$sync; KernelStreamOutput = `$output }
foreach (`$command in 'Stop-Kernel', 'Restart-Kernel', 'Stop-KernelExecution') {
    foreach (`$type in `$inputs.Keys) {
        "### `$command `$type"
        try { `$inputs[`$type] | & `$command -WhatIf -ErrorAction Stop } catch { "ERROR `$(`$_.FullyQualifiedErrorId): `$_" }
    }
}
"### Remove-KernelSubShell KernelSubShell"
`$subShell | Remove-KernelSubShell -WhatIf
"### end"
"@
        $run = Invoke-TestPwsh -Script $script -Width 200
        $run.TimedOut | Should -BeFalse
        $blocks = @{}
        $current = $null
        foreach ($line in $run.Output) {
            if ($line -match '^### (.+)$') { $current = $Matches[1]; $blocks[$current] = [System.Collections.Generic.List[string]]::new() }
            elseif ($current) { $blocks[$current].Add($line) }
        }
        $blocks.Keys | Should -Contain 'end' -Because $run.ErrorText
        $failures = foreach ($command in 'Stop-Kernel', 'Restart-Kernel', 'Stop-KernelExecution') {
            foreach ($type in 'Kernel', 'KernelSession', 'KernelSubShell', 'SyncResult', 'KernelStreamOutput') {
                $expected = (Get-PipelineInput $type).KernelId
                $text = $blocks["$command $type"] -join "`n"
                if ($text -notmatch '(?m)^What if: ' -or $text -notmatch [regex]::Escape($expected)) { "$command <- $type`: $text" }
            }
        }
        $failures | Should -BeNullOrEmpty
        ($blocks['Remove-KernelSubShell KernelSubShell'] -join "`n") | Should -Match ('What if: .*' + [regex]::Escape($script:subShell.SubShellId))
        # Nothing was done: the kernel and its subshell are still there.
        (Get-Kernel -Id $script:kernel.Id).State | Should -Not -Be 'Stopped'
        ($script:kernel | Get-KernelSubShell).SubShellId | Should -Contain $script:subShell.SubShellId
    }
}

Describe 'TimeSpan parameters take numbers as seconds' -Tag 'CI' {
    # PowerShell's numeric suffixes turn `30s` into a short and `5u` into a uint; each must still mean seconds.
    It '<Literal> is <Expected>' -ForEach @(
        @{ Literal = '30'; Expected = '00:00:30' }
        @{ Literal = '30s'; Expected = '00:00:30' }
        @{ Literal = '5u'; Expected = '00:00:05' }
        @{ Literal = '2l'; Expected = '00:00:02' }
        @{ Literal = '1.5'; Expected = '00:00:01.5000000' }
        @{ Literal = '2d'; Expected = '00:00:02' }
        @{ Literal = "'00:01:00'"; Expected = '00:01:00' }
    ) {
        $value = [scriptblock]::Create($Literal).Invoke()[0]
        $transform = [JupyterKernels.Cmdlets.TimeSpanArgumentAttribute]::new()
        $transform.Transform($ExecutionContext, $value).ToString() | Should -Be $Expected
    }

    It 'a suffixed number binds as seconds on a command' {
        $run = Invoke-TestPwsh -Script "(Get-Command Invoke-KernelCode).Parameters['Timeout'].Attributes.Where({ `$_ -is [JupyterKernels.Cmdlets.TimeSpanArgumentAttribute] }).Count; Invoke-KernelCode -Id $($script:kernel.Id) -Code 'print hi' -Timeout 30s | ForEach-Object Text" -Width 200
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Contain '1'
        $run.Output | Should -Contain 'hi' -Because $run.ErrorText
    }
}
