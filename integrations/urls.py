app_name = "integrations"
urlpatterns: list = []
