# Help and completion: Get-Help -Full of every command has a synopsis, a description and examples, and its
# pipeline/wildcard flags agree with the cmdlet's real parameter metadata; TabExpansion2 completes kernelspec names,
# kernel ids, session names and provider names from the isolated store.

BeforeDiscovery {
    $manifest = Join-Path (Split-Path (Split-Path $PSScriptRoot -Parent) -Parent) 'out' 'JupyterKernels' 'JupyterKernels.psd1'
    $script:commands = (Import-PowerShellDataFile $manifest).CmdletsToExport | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    function Get-Completion([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-Help -Full of <Name>' -Tag 'CI', 'Help' -ForEach $script:commands {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
    }

    It 'has a synopsis, a description and at least one example with code' {
        $script:help.Synopsis | Should -Not -BeNullOrEmpty
        $script:help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))\s*\[" -Because 'a synopsis is a sentence, not the generated syntax'
        ($script:help.description.Text -join '') | Should -Not -BeNullOrEmpty
        @($script:help.examples.example).Count | Should -BeGreaterThan 0
        @($script:help.examples.example)[0].code | Should -Match $Name
    }

    It 'documents every parameter with the pipeline and wildcard flags the cmdlet really has' {
        $problems = foreach ($parameter in $script:command.Parameters.Values | Where-Object { $_.Name -notin $script:common }) {
            $doc = $script:help.parameters.parameter | Where-Object Name -EQ $parameter.Name
            if (-not $doc) { "$($parameter.Name): not documented"; continue }
            if (-not ($doc.description.Text -join '')) { "$($parameter.Name): no description" }
            $attributes = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            $byValue = [bool]($attributes | Where-Object ValueFromPipeline)
            $byName = [bool]($attributes | Where-Object ValueFromPipelineByPropertyName)
            $pipeline = "$($doc.pipelineInput)"
            if ($byValue -ne ($pipeline -match 'ByValue')) { "$($parameter.Name): pipelineInput '$pipeline' but ByValue=$byValue" }
            if ($byName -ne ($pipeline -match 'ByPropertyName')) { "$($parameter.Name): pipelineInput '$pipeline' but ByPropertyName=$byName" }
            $wildcards = [bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            if ($wildcards -ne ("$($doc.globbing)" -eq 'true')) { "$($parameter.Name): globbing '$($doc.globbing)' but SupportsWildcards=$wildcards" }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'shows the syntax Get-Command shows: each parameter set, switches without a value' {
        # Get-Command's syntax comes from the cmdlet itself; the help's is generated (tools/HelpGen). Types differ only
        # in case (<string> against <String>).
        $normalize = { param($line) ($line -replace '\s+', ' ').Trim().ToLowerInvariant() }
        $fromHelp = @(($script:help.syntax | Out-String -Width 2000) -split "`r?`n" | Where-Object { $_.Trim() } | ForEach-Object { & $normalize $_ }) | Sort-Object
        $fromCommand = @((Get-Command $Name -Syntax) -split "`r?`n" | Where-Object { $_.Trim() } | ForEach-Object { & $normalize $_ }) | Sort-Object
        $fromHelp | Should -Be $fromCommand
        $fromHelp | Should -Not -Match '<switchparameter>'
    }
}

Describe 'TabExpansion2 completion' -Tag 'CI', 'Completion' {
    BeforeAll {
        $script:kernel = Start-Kernel -Name python3
        $script:session = New-KernelSession -Name 'complete-me' -KernelName python3
        Register-KernelProvider -Name 'completion-provider' -Url 'http://127.0.0.1:9/'
    }
    AfterAll { Unregister-KernelProvider -Name 'completion-provider' -Confirm:$false -ErrorAction SilentlyContinue }

    It 'completes kernelspec names (Start-Kernel -Name, positional, New-KernelSession -KernelName, Get-KernelSpec)' {
        Get-Completion 'Start-Kernel -Name py' | Should -Contain 'python3'
        Get-Completion 'Start-Kernel py' | Should -Contain 'python3'
        Get-Completion 'New-KernelSession -Name x -KernelName py' | Should -Contain 'python3'
        Get-Completion 'Get-KernelSpec -Name py' | Should -Contain 'python3'
    }

    It 'completes kernel ids (Get-Kernel, Stop-Kernel, Invoke-KernelCode)' {
        $prefix = $script:kernel.Id.Substring(0, 4)
        Get-Completion "Get-Kernel -Id $prefix" | Should -Contain $script:kernel.Id
        Get-Completion "Stop-Kernel -Id $prefix" | Should -Contain $script:kernel.Id
        Get-Completion "Invoke-KernelCode -Code 1 -Id $prefix" | Should -Contain $script:kernel.Id
    }

    It 'lists each kernel id with the kernel''s name and state in the completion menu and tooltip' {
        $line = "Stop-Kernel -Id $($script:kernel.Id.Substring(0, 8))"
        $match = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Where-Object CompletionText -EQ $script:kernel.Id
        $match | Should -Not -BeNullOrEmpty
        $match.ListItemText | Should -Match ([regex]::Escape($script:kernel.Id) + '\s+.*ipykernel.*\[(Idle|Busy|Starting)\]')
        $match.ToolTip | Should -Match '\[(Idle|Busy|Starting)\]'
    }

    It 'completes session names (Get-KernelSession, Remove-KernelSession, Start-Kernel -SessionName is free text)' {
        Get-Completion 'Get-KernelSession -Name comp' | Should -Contain 'complete-me'
        Get-Completion 'Remove-KernelSession -Name comp' | Should -Contain 'complete-me'
    }

    It 'completes provider names (Get-KernelProvider, Unregister-KernelProvider)' {
        Get-Completion 'Get-KernelProvider -Name comp' | Should -Contain 'completion-provider'
        Get-Completion 'Unregister-KernelProvider -Name comp' | Should -Contain 'completion-provider'
    }
}
