from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Project policy for accounts; account mail joins the one outbound path (see engage.mail)."""
