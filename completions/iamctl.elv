
set edit:completion:arg-completer[iamctl] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) IAMCTL_COMPLETE="elvish" iamctl -- $@words) | to-lines
}

