"""The course's Django bookshop (users, logins, sessions, cart, search) and mailing_list demo."""
