package cli

import (
	"github.com/spf13/cobra"
)

func newRmCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:               "rm NAME",
		Aliases:           []string{"remove", "delete"},
		Short:             "Remove an alias and its token from the keychain",
		Args:              exactArgs(1, "NAME"),
		ValidArgsFunction: completeAliases(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			return env.store().Delete(cmd.Context(), args[0])
		},
	}
}

func newRenameCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename an alias; NEW must not exist",
		Long: `Rename an alias. After success only NEW exists; if the rename fails,
OLD is left intact.`,
		Args:              exactArgs(2, "OLD NEW"),
		ValidArgsFunction: completeAliases(env),
		RunE: func(cmd *cobra.Command, args []string) error {
			return env.store().Rename(cmd.Context(), args[0], args[1])
		},
	}
}
