app_name = "dotdigital"
urlpatterns: list = []
